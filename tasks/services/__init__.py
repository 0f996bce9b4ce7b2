"""Every write to tasks, tags and notes. Pages, the API, the admin and jobs call these:

- tasks: create, change, complete, reopen, delete (optimistic versions)
- tags: created on first use, renamed, deleted
- notes: create, change, delete
- archive: the nightly archive of old done tasks, and restoring one
- reminders: the daily reminder email
- imports: an export file's tasks and notes, all or nothing
- calendar: the calendar feed's secret
"""

from tasks.services.archive import ARCHIVE_BATCH, task_restore, tasks_archive_done
from tasks.services.calendar import calendar_token_regenerate
from tasks.services.imports import (
    EXISTING_CHOICES,
    ImportInvalid,
    ImportResult,
    ImportRow,
    data_import,
)
from tasks.services.notes import note_create, note_delete, note_update
from tasks.services.reminders import reminder_logs_prune, reminder_send
from tasks.services.tags import (
    tag_create,
    tag_delete,
    tag_names_clean,
    tag_rename,
    tags_missing,
    tags_resolve,
    tags_room,
)
from tasks.services.tasks import (
    TASK_FIELDS,
    task_complete,
    task_create,
    task_delete,
    task_reopen,
    task_set_done,
    task_update,
)
from tasks.services.versions import VersionConflict

__all__ = [
    "ARCHIVE_BATCH",
    "EXISTING_CHOICES",
    "TASK_FIELDS",
    "ImportInvalid",
    "ImportResult",
    "ImportRow",
    "VersionConflict",
    "calendar_token_regenerate",
    "data_import",
    "note_create",
    "note_delete",
    "note_update",
    "reminder_logs_prune",
    "reminder_send",
    "tag_create",
    "tag_delete",
    "tag_names_clean",
    "tag_rename",
    "tags_missing",
    "tags_resolve",
    "tags_room",
    "task_complete",
    "task_create",
    "task_delete",
    "task_reopen",
    "task_restore",
    "task_set_done",
    "task_update",
    "tasks_archive_done",
]
