"""Formatting a Metro 2 record from its field values, and checking a formatted record against the written layout.

``record_format`` never fails: it renders every field to its exact width and returns the problems it met (a number
too wide for its field, a value that is not a number); ``record_check`` reads a formatted line back field by field
(length, digits in numeric fields, real dates, required fields present). A record is furnished only when both
find nothing (``servicing.metro2.file``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from servicing.metro2.layout import RECORD_LENGTH, Field

# Upper-case letters, digits, blank and the punctuation names and addresses carry; anything else becomes a blank.
_NOT_ALLOWED = re.compile(r"[^A-Z0-9 &'#,./-]")
Value = str | int | Decimal | date | datetime | None
_NAMES: dict[int, frozenset[str]] = {}  # each layout's field names, by the layout's identity


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def whole_dollars(amount: Decimal) -> int:
    """Metro 2 amounts are whole dollars: the cents are dropped ($1,234.99 -> 1234), never rounded up (``int``
    truncates toward zero, as ROUND_DOWN does)."""
    return int(amount)


def alphanumeric(value: object) -> str:
    """Upper case, accents stripped to their letter (José -> JOSE), other characters blanked."""
    text = str(value)
    if not text.isascii():  # the slow path only for the names and addresses that need it
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALLOWED.sub(" ", text.upper())


def _digits(field: Field, value: Value) -> tuple[str, str | None]:
    """A numeric field's text at its exact width, and a problem when the value does not fit."""
    if isinstance(value, datetime):
        digits = f"{value.month:02d}{value.day:02d}{value.year:04d}{value.hour:02d}{value.minute:02d}{value.second:02d}"
    elif isinstance(value, date):
        digits = f"{value.month:02d}{value.day:02d}{value.year:04d}"
    elif isinstance(value, Decimal):
        digits = str(whole_dollars(value))
    else:
        digits = str(value)
    if not digits.isdigit():
        what = "is not a whole number >= 0" if not field.pii else "is not all digits"
        return "0" * field.length, what if field.pii else f"{digits!r} {what}"
    if len(digits) > field.length:
        return "9" * field.length, f"does not fit in {field.length} digits"
    return digits.rjust(field.length, "0"), None


def _names(layout: tuple[Field, ...]) -> frozenset[str]:
    names = _NAMES.get(id(layout))
    if names is None:
        names = _NAMES[id(layout)] = frozenset(field.name for field in layout)
    return names


def record_format(layout: tuple[Field, ...], values: Mapping[str, Value]) -> tuple[str, list[FieldError]]:
    """The record of ``values`` (by field name; absent fields blank or zero) and the values that did not fit.
    Alphanumeric fields are cut to their width (names and addresses may be longer), numbers never are."""
    unknown = values.keys() - _names(layout)
    if unknown:
        raise KeyError(f"not in the layout: {sorted(unknown)}")
    parts, errors = [], []
    get = values.get
    for field in layout:  # one loop, no call per field for the common cases: this runs 47 times a record
        value = get(field.name)
        if value is None or (type(value) is str and not value):
            parts.append((" " if field.kind == "A" else "0") * field.length)
        elif field.kind == "A":
            parts.append(alphanumeric(value)[: field.length].ljust(field.length))
        else:
            text, problem = _digits(field, value)
            parts.append(text)
            if problem:
                errors.append(FieldError(field.name, problem))
    return "".join(parts), errors


def _valid_date(text: str) -> bool:
    """MMDDYYYY (then HHMMSS in a time stamp) is a real calendar date and time; ``text`` is all digits."""
    try:
        date(int(text[4:8]), int(text[0:2]), int(text[2:4]))
    except ValueError:
        return False
    return len(text) == 8 or (int(text[8:10]) < 24 and int(text[10:12]) < 60 and int(text[12:14]) < 60)


def _field_problem(field: Field, text: str, characters_checked: bool) -> str | None:
    if field.kind == "A":
        if field.required and not text.strip():
            return "is required"
        if not characters_checked and _NOT_ALLOWED.search(text):
            return "has characters Metro 2 does not allow"
        return None
    if not text.isdigit():
        return "is not all digits" if field.pii else f"{text!r} is not all digits"
    if field.fmt in ("date", "timestamp"):
        if set(text) == {"0"}:
            return "is required" if field.required else None
        if not _valid_date(text):
            return "is not a real date" if field.pii else f"{text} is not a real date (MMDDYYYY)"
    return None


def record_check(layout: tuple[Field, ...], line: str) -> list[FieldError]:
    """Check a formatted record field by field against ``layout``: its length, then each field's content."""
    if len(line) != RECORD_LENGTH:
        return [FieldError("record", f"is {len(line)} characters, not {RECORD_LENGTH}")]
    errors = []
    clean = _NOT_ALLOWED.search(line) is None  # one scan of the line; field by field only when it finds one
    for field in layout:
        offset = field.start - 1
        text = line[offset : offset + field.length]
        if field.kind == "A" and clean and not field.required:
            continue  # nothing left to check in an optional text field of a clean line
        if field.fmt == "number" and text.isdigit():
            continue
        problem = _field_problem(field, text, clean)
        if problem:
            errors.append(FieldError(field.name, problem))
    return errors


def record_fields(layout: tuple[Field, ...], line: str) -> dict[str, str]:
    """A formatted record read back into its fields (as written, padding included)."""
    return {field.name: field.cut(line) for field in layout}
