"""The API's JSON parser: every body it refuses is a 400 in our words.

DRF's JSONParser echoes the json module's exception text, lets a deeply nested body raise
RecursionError (a 500) and keeps the last of two equal keys. This one refuses all three.
"""

import codecs
import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    found = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKeyError(key)
        found[key] = value
    return found


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"The body is not valid {encoding} text.") from exc
        try:
            return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
        except DuplicateKeyError as exc:
            raise ParseError(f"The key {exc.key[:50]!r} appears more than once.") from exc
        except RecursionError as exc:
            raise ParseError("The JSON is nested too deeply.") from exc
        except json.JSONDecodeError as exc:
            raise ParseError(f"Invalid JSON at line {exc.lineno}, column {exc.colno}.") from exc
        except ValueError as exc:  # NaN, Infinity
            raise ParseError("Invalid JSON: NaN and Infinity are not numbers JSON allows.") from exc
