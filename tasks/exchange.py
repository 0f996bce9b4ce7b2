"""A user's tasks and notes as one JSON or CSV file: export (streamed) and import.

Both formats carry the same fields.

JSON, version 1::

    {"version": 1, "exported_at": "2025-01-31T09:30:00+00:00",
     "tasks": [{"id", "title", "description", "status", "priority", "due_date", "tags",
                "created_at", "updated_at", "completed_at", "archived_at"}, ...],
     "notes": [{"id", "title", "body", "task_id", "tags", "created_at", "updated_at"}, ...]}

CSV: one header row, then one row per task or note, in the columns of CSV_COLUMNS
(an import needs only `kind` and `title`, in any order). `kind` is `task` or `note`; a
column the row's kind does not have stays empty. `tags` is
one cell of comma-separated names (a name holding a comma or quote is quoted, CSV style:
`work, "a, b"`). Empty cells mean "none". A cell a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) is written with a leading `'`, as is
one that starts with `'`; import drops exactly that one `'`, so a round trip is lossless.

Values: status todo|in_progress|done; priority low|medium|high; due_date YYYY-MM-DD;
times ISO 8601 with an offset (one without is read in the server's time zone); a note's
`task_id` is the `id` of a task in the same file, or else of one of the importer's tasks.

Both run as background jobs (tasks.datajobs). Import adds the rows to the account, all or
nothing (services.data_import). It keeps
created_at, completed_at and archived_at, and sets updated_at to the import time; ids are
new. A row whose `id` is already one of the importer's tasks or notes (a re-imported
export) is skipped by default, or updates the stored one, or is added as a copy
(`existing`: skip|update|add); an update that changes nothing writes nothing. A file's
size is capped by the IMPORT_MAX_BYTES setting, its rows by IMPORT_MAX_ROWS.
Errors name the row: in CSV the spreadsheet row (the header is row 1), in JSON the
position in the `tasks` or `notes` list (from 1).
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import User
from tasks import selectors, services
from tasks.api import exports
from tasks.models import MAX_TAGS_PER_ITEM, Task

VERSION = 1
FORMATS = ("json", "csv")
CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
CSV_COLUMNS = (
    "kind",
    "id",
    "title",
    "description",
    "body",
    "status",
    "priority",
    "due_date",
    "tags",
    "task_id",
    "created_at",
    "updated_at",
    "completed_at",
    "archived_at",
)
# Built by the serializers the API schema documents: one definition of each record.
TASK_RECORD = exports.ExportTaskSerializer()
NOTE_RECORD = exports.ExportNoteSerializer()
TASK_KEYS = tuple(TASK_RECORD.fields)
NOTE_KEYS = tuple(NOTE_RECORD.fields)
KEYS = {"task": TASK_KEYS, "note": NOTE_KEYS}
LISTS = {"task": "tasks", "note": "notes"}
DOCUMENT_KEYS = {"version", "exported_at", "tasks", "notes"}
PRIORITIES = {priority.name.lower(): priority for priority in Task.Priority}
MAX_TAGS = MAX_TAGS_PER_ITEM  # per row, as on pages and in the API
MAX_ID = 2**63 - 1  # ids are bigint: a larger one must not reach a query
EXPORT_CHUNK = 500  # rows per query (and per tag prefetch) while exporting
# A multipart body is the file plus boundaries and the other fields.
MULTIPART_SLACK = 64 * 1024


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


# --- export ---------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _records(user: User, counted: Callable[[str], None]) -> dict[str, Iterator[dict[str, Any]]]:
    """Every task and every note, by kind: a query, and a tag query per chunk of rows.

    Lazy: the notes are read once the tasks are written. `counted(kind)` hears of each.
    """
    tasks = selectors.task_export(user=user).iterator(chunk_size=EXPORT_CHUNK)
    notes = selectors.note_export(user=user).iterator(chunk_size=EXPORT_CHUNK)

    def records(kind, serializer, objects):
        for obj in objects:
            counted(kind)
            yield serializer.to_representation(obj)

    return {
        "task": records("task", TASK_RECORD, tasks),
        "note": records("note", NOTE_RECORD, notes),
    }


def _buffered(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces so the response is written in chunks, not a row at a time."""
    buffer: list[str] = []
    for piece in pieces:
        buffer.append(piece)
        if len(buffer) >= EXPORT_CHUNK:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def _json_pieces(user: User, counted: Callable[[str], None]) -> Iterator[str]:
    head = {"version": VERSION, "exported_at": _time(timezone.now())}
    yield json.dumps(head).removesuffix("}")
    for kind, records in _records(user, counted).items():
        yield f',\n"{LISTS[kind]}": ['
        for number, record in enumerate(records):
            yield (",\n" if number else "\n") + json.dumps(record, ensure_ascii=False)
        yield "]"
    yield "}\n"


def _quoted(name: str) -> str:
    if "," in name or '"' in name:
        return '"' + name.replace('"', '""') + '"'
    return name


def _tags_cell(names: list[str]) -> str:
    """Tag names in one cell, comma-separated; a name holding a comma or quote is quoted."""
    return ", ".join(_quoted(name) for name in names)


class _Line:
    """A file whose write() returns what it is given: csv.writer then returns each row."""

    def write(self, text: str) -> str:
        return text


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guarded(cell: Any) -> Any:
    """A text cell a spreadsheet would run gets a leading `'`; so does one that already
    starts with `'`, so that import strips exactly one and the round trip is lossless."""
    if isinstance(cell, str) and cell.startswith((*FORMULA_STARTS, "'")):
        return "'" + cell
    return cell


def _unguarded(cell: str) -> str:
    """A cell as it was before _guarded: a `'` is dropped only in front of what it guards."""
    if cell[:1] == "'" and cell[1:2] and cell[1] in (*FORMULA_STARTS, "'"):
        return cell[1:]
    return cell


def _csv_pieces(user: User, counted: Callable[[str], None]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for kind, records in _records(user, counted).items():
        for record in records:
            cells = {**record, "kind": kind, "tags": _tags_cell(record["tags"])}
            row = ["" if cells.get(c) is None else _guarded(cells[c]) for c in CSV_COLUMNS]
            yield writer.writerow(row)


def export_filename(fmt: str) -> str:
    return f"taskflow-export-{timezone.localdate().isoformat()}.{fmt}"


def export_chunks(*, user: User, fmt: str, counted: Callable[[str], None] = lambda kind: None):
    """The whole export file as text chunks, generated as they are read (tasks.datajobs
    writes them to a file); `counted(kind)` is called once per task or note written."""
    pieces = _json_pieces(user, counted) if fmt == "json" else _csv_pieces(user, counted)
    return _buffered(pieces)


# --- import: reading a file -------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be imported (too large, not UTF-8, not JSON or our CSV)."""

    def __init__(self, message: str, code: str = "invalid_file", status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def too_large() -> ImportFileError:
    message = f"The file is too large: at most {filesizeformat(max_bytes())}."
    return ImportFileError(message, code="file_too_large", status=413)


def declared_too_large(request) -> bool:
    """Whether the request says its body is too large, so it can be refused unread."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_bytes() + MULTIPART_SLACK


class _Refused(ValueError):
    """A value of the wrong shape; its message is shown against the field."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Refused("Expected text.")
    if "\x00" in value:
        raise _Refused("Null characters are not allowed.")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise _Refused("This text holds an invalid character.") from None
    return value


def _integer(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise _Refused("Expected a positive whole number.")
    return value


def _priority(value: Any) -> Task.Priority:
    try:
        return PRIORITIES[_text(value).strip().lower()]
    except KeyError:
        raise _Refused("Use low, medium or high.") from None


def _date(value: Any) -> date:
    try:
        parsed = parse_date(_text(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Refused("Use a date like 2025-01-31.")
    return parsed


def _datetime(value: Any) -> datetime:
    try:
        parsed = parse_datetime(_text(value).strip())
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        if parsed is not None:
            parsed.astimezone(UTC)  # year 1 with an offset cannot be stored
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise _Refused("Use a date and time like 2025-01-31T09:30:00+00:00.")
    return parsed


def _tag_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _Refused("Expected a list of tag names.")
    return [_text(name) for name in value]


def _tag_cell(value: Any) -> list[str]:
    try:
        names = next(csv.reader([_text(value)], skipinitialspace=True), [])
    except csv.Error:
        raise _Refused("Separate tags with commas; quote a name holding a comma.") from None
    return [name for name in names if name.strip()]


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "id": _integer,
    "title": _text,
    "description": _text,
    "body": _text,
    "status": _text,
    "priority": _priority,
    "due_date": _date,
    "tags": _tag_list,
    "task_id": _integer,
    "created_at": _datetime,
    "updated_at": _datetime,
    "completed_at": _datetime,
    "archived_at": _datetime,
}


def _row(kind: str, number: int, raw: dict[str, Any], *, cells: bool) -> services.ImportRow:
    """Convert one record; `cells` (CSV) means every value is text and "" means none."""
    row = services.ImportRow(kind=kind, row=number, values={})
    for key, value in raw.items():
        if value is None or (cells and value == ""):
            continue
        if key not in KEYS[kind]:
            row.errors[key] = [f"A {kind} has no {key}."]
            continue
        convert = _tag_cell if cells and key == "tags" else CONVERTERS[key]
        try:
            row.values[key] = convert(value)
        except _Refused as error:
            row.errors[key] = [str(error)]
    if not row.values.get("title", "").strip() and "title" not in row.errors:
        row.errors["title"] = ["This field is required."]
    if len(row.values.get("tags", ())) > MAX_TAGS:
        row.errors["tags"] = [f"At most {MAX_TAGS} tags."]
    row.ref = row.values.pop("id", None)
    row.task_ref = row.values.pop("task_id", None)
    row.values.pop("updated_at", None)  # the import time instead: see services.data_import
    return row


def _check_count(count: int) -> None:
    if count > max_rows():
        raise ImportFileError(f"The file has more than {max_rows()} tasks and notes.")


def read_json(text: str) -> list[services.ImportRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"{error.msg} (line {error.lineno}, column {error.colno})"
        raise ImportFileError(f"The file is not valid JSON: {message}.") from error
    except (ValueError, RecursionError) as error:
        raise ImportFileError("The file is not valid JSON.") from error
    if not isinstance(document, dict) or not document.keys() & {"tasks", "notes"}:
        raise ImportFileError(
            'Expected a JSON object with "tasks" and "notes" lists, as an export has.'
        )
    if document.get("version", VERSION) != VERSION or document.keys() - DOCUMENT_KEYS:
        raise ImportFileError(f"This is not a version {VERSION} TaskFlow export.")
    items = {kind: document.get(key, []) for kind, key in LISTS.items()}
    for kind, values in items.items():
        if not isinstance(values, list):
            raise ImportFileError(f'"{LISTS[kind]}" must be a list.')
    _check_count(sum(len(values) for values in items.values()))
    rows = []
    for kind, values in items.items():
        for number, item in enumerate(values, start=1):
            if isinstance(item, dict):
                rows.append(_row(kind, number, item, cells=False))
            else:
                errors = {"non_field_errors": [f"Expected a {kind} object."]}
                rows.append(services.ImportRow(kind, number, {}, errors=errors))
    return rows


def _csv_header(reader) -> list[str]:
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in ("kind", "title") if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ImportFileError(
            "The first row must name the columns, each once: kind and title, and any of "
            f"{', '.join(CSV_COLUMNS[3:])}."
            + (f" Unknown: {', '.join(unknown)}." if unknown else "")
        )
    return header


def read_csv(text: str) -> list[services.ImportRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 1
    try:
        header = _csv_header(reader)
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            _check_count(len(rows) + 1)
            rows.append(_csv_row(header, number, cells))
    except csv.Error as error:
        raise ImportFileError(f"The CSV file cannot be read at row {number}: {error}.") from error
    return rows


def _csv_row(header: list[str], number: int, cells: list[str]) -> services.ImportRow:
    raw = dict(zip(header, map(_unguarded, cells), strict=False))
    kind = raw.pop("kind", "").strip().lower()
    if kind not in KEYS:
        return services.ImportRow(kind, number, {}, errors={"kind": ["Use task or note."]})
    row = _row(kind, number, raw, cells=True)
    if len(cells) > len(header):  # fewer is fine: the missing cells are empty
        message = f"This row has {len(cells)} cells; the header has {len(header)}."
        row.errors.setdefault("non_field_errors", []).append(message)
    return row


def detect_format(name: str, data: bytes) -> str:
    """json or csv: by the file name's extension, else by the first character."""
    suffix = PurePath(name or "").suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") else "csv"


def upload_content(upload) -> bytes:
    """An uploaded file's bytes, once they pass the checks a request can make at once:
    size, not empty, UTF-8. Raises ImportFileError."""
    if upload.size > max_bytes():
        raise too_large()
    data = upload.read()
    if not data.strip():
        raise ImportFileError("The file is empty.")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text: save it as UTF-8.") from None
    return data


def import_content(
    *, owner: User, data: bytes, fmt: str, existing: str = "skip", progress=None
) -> services.ImportResult:
    """Add an export file's tasks and notes (its bytes, passed by upload_content) to
    `owner`'s (see the module docstring); rows naming the owner's own tasks and notes by
    id do as `existing` says. `progress(done, total)` hears how far it has got.

    Raises ImportFileError when the file cannot be read, services.ImportInvalid (nothing
    written) when rows break the rules.
    """
    text = data.decode("utf-8-sig")
    rows = read_json(text) if fmt == "json" else read_csv(text)
    _check_new_tags(owner, rows)
    return services.data_import(owner=owner, rows=rows, existing=existing, progress=progress)


def _check_new_tags(owner: User, rows: list[services.ImportRow]) -> None:
    """A file may create IMPORT_MAX_NEW_TAGS tags, and no account more than its cap."""
    names = (name for row in rows for name in row.values.get("tags", ()) if isinstance(name, str))
    try:
        new = len(services.tags_missing(owner=owner, names=names))
    except ValidationError:
        return  # a bad name: data_import reports it on its row
    cap = settings.IMPORT_MAX_NEW_TAGS
    if new > cap:
        raise ImportFileError(
            f"The file would create {new:,} new tags; one import may create {cap:,}."
        )
    room = services.tags_room(owner=owner)
    if new > room:
        limit = settings.TAGS_PER_ACCOUNT_MAX
        raise ImportFileError(
            f"The file would create {new:,} new tags, but an account has at most {limit:,} "
            f"and yours has room for {room:,} more."
        )


def row_errors(rows: Iterable[services.ImportRow]) -> list[dict[str, Any]]:
    """Invalid rows as the API reports them; `title` helps find the row (or is null)."""
    return [
        {"row": row.row, "kind": row.kind, "title": _shown_title(row), "errors": row.errors}
        for row in rows
    ]


def _shown_title(row: services.ImportRow) -> str | None:
    title = row.values.get("title")
    return title[:100] if isinstance(title, str) and title.strip() else None
