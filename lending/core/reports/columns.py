"""A report's columns: one definition gives the page's table cell, the CSV cell and the Excel cell of a value.

A row is a dict (``.values()``) or an object; a column reads ``row[key]`` / ``row.key``, or calls ``accessor(row)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import dateformat, timezone

from lending.core.templatetags.money import format_money
from lending.finance.money import ROUNDING, cents

TEXT = "text"
MONEY = "money"  # Decimal dollars: $1,234.56 on the page, 1234.56 in the files
INTEGER = "integer"
DATE = "date"
PERCENT = "percent"  # a Decimal already in percent (a rate 6.5000): 6.500% on the page, 6.500 in the files
DECIMAL = "decimal"
KINDS = (TEXT, MONEY, INTEGER, DATE, PERCENT, DECIMAL)

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"): such text gets a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    accessor: Callable[[Any], Any] | None = None
    places: int = 3  # decimals shown for PERCENT and DECIMAL
    # The kind's conversion to the files' value, chosen once: an export converts every cell of every row.
    _to_export: Callable[[Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {KINDS}")
        object.__setattr__(self, "_to_export", _export_conversion(self.kind, self.places))

    @property
    def numeric(self) -> bool:
        return self.kind in (MONEY, INTEGER, PERCENT, DECIMAL)

    def value(self, row: Any) -> Any:
        if self.accessor is not None:
            return self.accessor(row)
        if isinstance(row, dict):
            return row.get(self.key)
        return getattr(row, self.key, None)

    def _quantized(self, value: Any) -> Decimal:
        return Decimal(value).quantize(Decimal(1).scaleb(-self.places), rounding=ROUNDING)

    def display(self, row: Any) -> str:
        """The value as the page shows it."""
        value = self.value(row)
        if value is None or value == "":
            return ""
        if self.kind == MONEY:
            return format_money(value)
        if self.kind == INTEGER:
            return intcomma(value)
        if self.kind == DATE:
            return dateformat.format(_as_date(value), "M j, Y")
        if self.kind == PERCENT:
            return f"{self._quantized(value)}%"
        if self.kind == DECIMAL:
            return str(self._quantized(value))
        return str(value)

    def export_value(self, row: Any) -> str | int | Decimal | date | None:
        """The value as the files hold it: cents for money, the column's decimals for rates, a date, formula-safe
        text; None for an empty cell."""
        value = self.value(row)
        if value is None or value == "":
            return None
        return self._to_export(value)

    def csv(self, row: Any) -> str:
        """The value as a CSV cell: plain numbers, ISO dates, formula-safe text."""
        return self.csv_cell()(row)

    def csv_cell(self) -> Callable[[Any], str]:
        """``csv`` as one function with the column's reading and conversion bound once (an export calls it for
        every cell: a 100,000-row file has a million)."""
        read, convert, iso = self.value, self._to_export, self.kind == DATE

        def cell(row: Any) -> str:
            value = read(row)
            if value is None or value == "":
                return ""
            return convert(value).isoformat() if iso else str(convert(value))

        return cell


def _export_conversion(kind: str, places: int) -> Callable[[Any], Any]:
    """A value of ``kind`` as the files hold it (see ``Column.export_value``)."""
    if kind == MONEY:
        return cents
    if kind == INTEGER:
        return int
    if kind == DATE:
        return _as_date
    if kind in (PERCENT, DECIMAL):
        exponent = Decimal(1).scaleb(-places)
        return lambda value: Decimal(value).quantize(exponent, rounding=ROUNDING)
    return safe_text


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
