"""A report's CSV cells written by PostgreSQL: each expression gives, as text, exactly what ``Column.csv_cell``
gives for the same value, so an export of 100,000 rows hands ``csv.writer`` finished text instead of converting a
million cells in Python (issue 15: 50,000 rows a second).

Each function takes the expression of the value (a column, an annotation) and returns the cell's text expression;
NULL stays NULL, which ``csv.writer`` writes as an empty cell, as the Python path does. PostgreSQL only: elsewhere
the report exports through the columns (``ReportView.csv_cells`` returns None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Case, Expression, F, Func, TextField, Value, When
from django.db.models.functions import Cast
from django.db.models.lookups import Exact

from lending.core.reports.columns import FORMULA_START, safe_text

_TEXT = TextField()


class _Template(Func):
    """``template`` with ``{x}`` standing for the one source expression, compiled once (its parameters repeated
    for each use)."""

    output_field = _TEXT

    def __init__(self, source: Expression | F, template: str) -> None:
        super().__init__(source, output_field=_TEXT)
        self.cell_template = template

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:  # type: ignore[override]  # the stubs pin a narrower params type
        sql, params = compiler.compile(self.source_expressions[0])
        return self.cell_template.replace("{x}", f"({sql})"), tuple(params) * self.cell_template.count("{x}")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# chr(): the tab and carriage return, without an escape-string literal.
_FORMULA_CHARS = ", ".join(f"chr({ord(c)})" if c in "\t\r" else _quoted(c) for c in FORMULA_START)


def text(source: Expression | F) -> Func:
    """``safe_text``: the value as text, quoted with ' when a spreadsheet would run it as a formula."""
    return _Template(
        Cast(source, _TEXT), f"CASE WHEN LEFT({{x}}, 1) IN ({_FORMULA_CHARS}) THEN '''' ELSE '' END || {{x}}"
    )


def label(source: Expression | F, labels: Mapping[Any, str]) -> Case:
    """``safe_text(labels.get(value, value))``: a code shown by its label (the code itself when it has none). The
    labels are made safe here, once; only a code without one is checked row by row."""
    named = [
        When(Exact(source, code), then=Value(safe_text(name), output_field=_TEXT)) for code, name in labels.items()
    ]
    return Case(*named, default=text(source), output_field=_TEXT)


def money(source: Expression | F) -> Func:
    """``cents``: to the cent, half up (PostgreSQL's ROUND of a numeric rounds a half away from zero, as Python's
    ROUND_HALF_UP does), e.g. 1234.5 -> 1234.50."""
    return _Template(source, "ROUND({x}, 2)::text")


def integer(source: Expression | F) -> Func:
    """An integer column as text (``int``: the source must be an integer, not a numeric to truncate)."""
    return _Template(source, "{x}::text")


def day(source: Expression | F) -> Func:
    """A date column in ISO form (``date.isoformat``); not for a timestamp (the Python path takes its local date)."""
    return _Template(source, "TO_CHAR({x}, 'YYYY-MM-DD')")


def decimal(source: Expression | F, places: int) -> Func:
    """A rate or ratio to ``places``, half up as the columns round it (``ROUNDING``): PostgreSQL's ROUND of a
    numeric rounds a half away from zero, as ``ROUND_HALF_UP`` does (6.1245 -> 6.125)."""
    return _Template(source, f"ROUND({{x}}, {places})::text")
