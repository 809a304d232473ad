"""A report's columns: one definition gives the page's table cell, the CSV cell and the Excel cell of a value.

A row is a dict (``.values()``) or an object; a column reads ``row[key]`` / ``row.key``, or calls ``accessor(row)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import dateformat, timezone

from lending.core.templatetags.money import format_money
from lending.finance.money import cents

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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {KINDS}")

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
        return Decimal(value).quantize(Decimal(1).scaleb(-self.places))

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
        if self.kind == MONEY:
            return cents(value)
        if self.kind == INTEGER:
            return int(value)
        if self.kind == DATE:
            return _as_date(value)
        if self.kind in (PERCENT, DECIMAL):
            return self._quantized(value)
        return safe_text(value)

    def csv(self, row: Any) -> str:
        """The value as a CSV cell: plain numbers, ISO dates, formula-safe text."""
        value = self.export_value(row)
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, date) else str(value)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
