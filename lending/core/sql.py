"""Helpers for the few reports that run hand-written SQL (aggregate first, join the names to the few rows after)."""

from __future__ import annotations

from decimal import Decimal

from lending.finance.money import cents


def money_sum(value: Decimal | float | int | None) -> Decimal | None:
    """A SUM of money as the database hands it back: PostgreSQL's numeric as it is, SQLite's number (it has no
    decimal type) in cents, as Django's own converter does for the ORM's sums."""
    if value is None or isinstance(value, Decimal):
        return value
    return cents(str(value))
