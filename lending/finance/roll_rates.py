"""Roll rates: where the loans of each delinquency bucket at one month end are at the next.

Input is the month-end tape counted per (bucket at the month before, bucket at the month's end): loans and their
principal at both ends. A roll-rate matrix row is a "from" bucket; each cell is the share of that bucket's loans
(and of its balance at the month before) found in the "to" bucket at the month's end, leavers (paid off, charged
off) included, so a row adds up to 100 %. Entering delinquency: current (or new) at the month before, past due at
the month's end; curing: past due at the month before, current at the month's end. Month-end figures only: a loan
late and caught up between two month ends never shows (the usual convention of a servicing roll rate).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending.finance.delinquency import DPD_BUCKETS
from lending.finance.money import ZERO
from lending.finance.ratios import percent_of

CURRENT = DPD_BUCKETS[0]
PAST_DUE = DPD_BUCKETS[1:]
LEAVERS = ("paid_off", "charged_off")
NEW = "new"
TO_BUCKETS = (*DPD_BUCKETS, *LEAVERS)


@dataclass(frozen=True)
class TapeCount:
    """The loans of one month that went from ``before`` to ``after``, with their principal at both ends."""

    month: date
    before: str
    after: str
    loans: int
    balance_before: Decimal
    balance_after: Decimal


@dataclass(frozen=True)
class RollCell:
    to_bucket: str
    loans: int
    balance: Decimal  # the principal these loans had at the month before
    percent: Decimal | None  # of the row's loans
    balance_percent: Decimal | None  # of the row's balance


@dataclass(frozen=True)
class RollRow:
    from_bucket: str
    loans: int
    balance: Decimal
    cells: list[RollCell]

    @property
    def roll_forward(self) -> Decimal | None:
        """The share that moved to a worse bucket (the "roll rate" in its narrow sense)."""
        worse = TO_BUCKETS[DPD_BUCKETS.index(self.from_bucket) + 1 : len(DPD_BUCKETS)]
        return percent_of(sum(c.loans for c in self.cells if c.to_bucket in worse), self.loans)


def roll_matrix(counts: Iterable[TapeCount], month: date) -> list[RollRow]:
    """The matrix of ``month``: one row per bucket at the month before (every bucket, empty ones too), one cell per
    bucket at the month's end or way out of the book."""
    table: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for count in counts:
        if count.month == month and count.before in DPD_BUCKETS:
            loans, balance = table.get((count.before, count.after), (0, ZERO))
            table[count.before, count.after] = (loans + count.loans, balance + count.balance_before)
    rows = []
    for before in DPD_BUCKETS:
        loans = sum(table.get((before, after), (0, ZERO))[0] for after in TO_BUCKETS)
        balance = sum((table.get((before, after), (0, ZERO))[1] for after in TO_BUCKETS), ZERO)
        cells = [
            RollCell(
                to_bucket=after,
                loans=table.get((before, after), (0, ZERO))[0],
                balance=table.get((before, after), (0, ZERO))[1],
                percent=percent_of(table.get((before, after), (0, ZERO))[0], loans),
                balance_percent=percent_of(table.get((before, after), (0, ZERO))[1], balance),
            )
            for after in TO_BUCKETS
        ]
        rows.append(RollRow(from_bucket=before, loans=loans, balance=balance, cells=cells))
    return rows


@dataclass(frozen=True)
class MonthFigures:
    """One month end: loans and principal per bucket (``DPD_BUCKETS`` order), loans entering delinquency and
    curing during the month, and the loans that left the book."""

    month: date
    loans: list[int]
    balances: list[Decimal]
    entering: int
    entering_balance: Decimal
    curing: int
    curing_balance: Decimal
    paid_off: int
    charged_off: int

    @property
    def total_loans(self) -> int:
        return sum(self.loans)

    @property
    def total_balance(self) -> Decimal:
        return sum(self.balances, ZERO)

    @property
    def past_due_loans(self) -> int:
        return sum(self.loans[1:])

    @property
    def past_due_balance(self) -> Decimal:
        return sum(self.balances[1:], ZERO)

    @property
    def past_due_percent(self) -> Decimal | None:
        """Delinquency rate by balance: principal past due (1 day or more) over all principal on the book."""
        return percent_of(self.past_due_balance, self.total_balance)


def month_figures(counts: Iterable[TapeCount], months: Sequence[date]) -> list[MonthFigures]:
    """Per month of ``months`` (every one listed, zero when the tape has nothing): see ``MonthFigures``."""
    by_month: dict[date, list[TapeCount]] = {month: [] for month in months}
    for count in counts:
        if count.month in by_month:
            by_month[count.month].append(count)
    figures = []
    for month, rows in by_month.items():
        entering = [r for r in rows if r.before in (CURRENT, NEW) and r.after in PAST_DUE]
        curing = [r for r in rows if r.before in PAST_DUE and r.after == CURRENT]
        figures.append(
            MonthFigures(
                month=month,
                loans=[sum(r.loans for r in rows if r.after == b) for b in DPD_BUCKETS],
                balances=[sum((r.balance_after for r in rows if r.after == b), ZERO) for b in DPD_BUCKETS],
                entering=sum(r.loans for r in entering),
                entering_balance=sum((r.balance_after for r in entering), ZERO),
                curing=sum(r.loans for r in curing),
                curing_balance=sum((r.balance_after for r in curing), ZERO),
                paid_off=sum(r.loans for r in rows if r.after == LEAVERS[0]),
                charged_off=sum(r.loans for r in rows if r.after == LEAVERS[1]),
            )
        )
    return figures
