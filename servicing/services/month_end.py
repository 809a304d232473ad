"""The month-end loan tape (``LoanMonthEnd``): written by the close of each month's last business day from the
loans' running figures, or rebuilt for past months from the delinquency history and the ledger.

A loan is on the tape for month M when it was boarded by the month's close and had not left the book before M
began: an active loan with its bucket, days past due and principal balance; a loan paid off or charged off during
M once more, as ``paid_off`` / ``charged_off`` with no balance. Each row repeats the loan's row of the month
before (``bucket_before``, ``principal_before``; ``new`` and 0 when it has none), so the roll from M-1 to M is one
GROUP BY over M's rows. A month's rows are written once: a rerun finds them and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from lending.core import calendar
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from servicing.models import ChargeOff, DelinquencyHistory, JournalLine, LoanAccount, LoanMonthEnd
from servicing.models.ledger import LOANS_RECEIVABLE
from servicing.models.month_end import CHARGED_OFF, NEW, PAID_OFF


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_close(month: date) -> date:
    """The close of business that ends ``month``: its last business day."""
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return calendar.previous_business_day(next_month - timedelta(days=1))


def is_month_close(business_date: date) -> bool:
    return month_close(month_start(business_date)) == business_date


def previous_month(month: date) -> date:
    return month_start(month - timedelta(days=1))


def on_tape(month: date, close: date) -> QuerySet[LoanAccount]:
    """The loans month ``month`` records (see the module docstring), by what the loans say now."""
    charged_off = ChargeOff.objects.filter(loan=OuterRef("pk"))
    return LoanAccount.objects.filter(disbursement_date__lte=close).filter(
        Q(status=LoanAccount.Status.ACTIVE)
        | Q(status=LoanAccount.Status.PAID_OFF, paid_off_on__gte=month)
        | Q(status=LoanAccount.Status.CHARGED_OFF, pk__in=charged_off.filter(charged_off_on__gte=month).values("loan"))
    )


def _before(month: date) -> dict[str, Any]:
    earlier = LoanMonthEnd.objects.filter(loan=OuterRef("pk"), month=previous_month(month))
    return {
        "bucket_before": Coalesce(Subquery(earlier.values("bucket")[:1]), Value(NEW)),
        "principal_before": Coalesce(Subquery(earlier.values("principal_balance")[:1]), ZERO),
    }


@dataclass(frozen=True)
class Standing:
    """A loan at a month's close: its bucket (or how it left), days past due and principal balance."""

    bucket: str
    days_past_due: int
    principal_balance: Decimal


def _row(loan: LoanAccount, month: date, close: date, standing: Standing) -> LoanMonthEnd:
    return LoanMonthEnd(
        month=month,
        as_of=close,
        loan_id=loan.pk,
        product_code=loan.product_code,
        bucket=standing.bucket,
        days_past_due=standing.days_past_due,
        principal_balance=standing.principal_balance,
        bucket_before=loan.bucket_before,  # type: ignore[attr-defined]  # annotated
        principal_before=loan.principal_before,  # type: ignore[attr-defined]
    )


def live_standing(loan: LoanAccount) -> Standing:
    """The loan's standing at tonight's close, from its running figures (the delinquency step has aged it)."""
    if loan.status == LoanAccount.Status.PAID_OFF:
        return Standing(PAID_OFF, 0, ZERO)
    if loan.status == LoanAccount.Status.CHARGED_OFF:
        return Standing(CHARGED_OFF, 0, ZERO)
    return Standing(loan.delinquency_bucket, loan.days_past_due, loan.principal_balance)


def month_end_write(
    month: date, close: date, loans: QuerySet[LoanAccount], standing: Callable[[LoanAccount], Standing]
) -> int:
    """Write month ``month``'s rows of ``loans`` (those on its tape without one) with ``standing``; how many."""
    on_it = (
        loans.filter(pk__in=on_tape(month, close).values("pk"))
        .exclude(month_ends__month=month)
        .annotate(**_before(month))
        .order_by("pk")
    )
    rows = [_row(loan, month, close, standing(loan)) for loan in on_it]
    # No ignore_conflicts: a second worker on the same loans fails on the unique key and writes nothing, so the
    # counts below add each loan once.
    LoanMonthEnd.objects.bulk_create(rows, batch_size=2000)
    month_end_count_add(rows)
    return len(rows)


# Adding, not replacing: chunks of the same month run side by side, and addition commutes (each upsert locks its
# count row, so two chunks never lose each other's loans).
COUNT_ADD_SQL = """
INSERT INTO servicing_loanmonthendcount
    (month, product_code, bucket_before, bucket, loans, principal_before, principal_balance)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (month, product_code, bucket_before, bucket) DO UPDATE SET
    loans = servicing_loanmonthendcount.loans + EXCLUDED.loans,
    principal_before = servicing_loanmonthendcount.principal_before + EXCLUDED.principal_before,
    principal_balance = servicing_loanmonthendcount.principal_balance + EXCLUDED.principal_balance
"""


def month_end_count_add(rows: list[LoanMonthEnd]) -> None:
    """Add newly written tape rows to ``LoanMonthEndCount``: one upsert per (month, product, move) among them."""
    counts: dict[tuple[date, str, str, str], list[Any]] = {}
    for row in rows:
        count = counts.setdefault((row.month, row.product_code, row.bucket_before, row.bucket), [0, ZERO, ZERO])
        count[0] += 1
        count[1] += row.principal_before
        count[2] += row.principal_balance
    if counts:
        with connection.cursor() as cursor:
            cursor.executemany(
                COUNT_ADD_SQL,
                [
                    (month, *key, n, str(before), str(after))
                    for (month, *key), (n, before, after) in sorted(counts.items())
                ],
            )


def month_end_record(*, business_date: date, loan_ids: list[int]) -> int:
    """Write tonight's month-end rows of ``loan_ids`` (those not written yet); returns how many were written."""
    loans = LoanAccount.objects.filter(pk__in=loan_ids).only(
        "pk", "status", "product_code", "delinquency_bucket", "days_past_due", "principal_balance"
    )
    return month_end_write(month_start(business_date), business_date, loans, live_standing)


# --- past months, rebuilt from the record ----------------------------------------------------------------------


def _history_at(close: date) -> dict[str, Any]:
    latest = DelinquencyHistory.objects.filter(loan=OuterRef("pk"), as_of__lte=close).order_by("-as_of", "-id")
    principal = (
        JournalLine.objects.filter(
            loan=OuterRef("pk"), account__code=LOANS_RECEIVABLE, entry__effective_date__lte=close
        )
        .order_by()
        .values("loan")
        .annotate(total=Sum(F("debit") - F("credit")))
        .values("total")
    )
    return {
        "bucket_then": Subquery(latest.values("bucket_to")[:1]),
        "days_then": Subquery(latest.values("days_past_due")[:1]),
        "changed_on": Subquery(latest.values("as_of")[:1]),
        "principal_then": Coalesce(Subquery(principal), ZERO),
        "charged_off_on": Subquery(ChargeOff.objects.filter(loan=OuterRef("pk")).values("charged_off_on")[:1]),
    }


def left_book(loan: LoanAccount, close: date) -> Standing | None:
    """``paid_off`` or ``charged_off`` when the loan had left the book by ``close`` (``charged_off_on`` annotated)."""
    if loan.paid_off_on is not None and loan.paid_off_on <= close:
        return Standing(PAID_OFF, 0, ZERO)
    charged_off_on = loan.charged_off_on  # type: ignore[attr-defined]  # annotated
    if charged_off_on is not None and charged_off_on <= close:
        return Standing(CHARGED_OFF, 0, ZERO)
    return None


def standing_then(loan: LoanAccount, close: date) -> Standing:
    """The loan's standing at a past close: its latest delinquency change by then (days past due counted on from
    that night while it stayed past due), its principal by the journal, or how it left the book."""
    gone = left_book(loan, close)
    if gone is not None:
        return gone
    bucket = loan.bucket_then or "current"  # type: ignore[attr-defined]
    days = 0 if bucket == "current" else loan.days_then + (close - loan.changed_on).days  # type: ignore[attr-defined]
    return Standing(bucket, days, loan.principal_then)  # type: ignore[attr-defined]


def month_end_rebuild(*, month: date, actor: User | None) -> int:
    """Write month ``month``'s rows from the record, for a month the nightly run did not close (the months before
    the tape was kept, or demo data). Refused for a month already written; months must be rebuilt oldest first
    (each row repeats the month before). A one-off: it reads each loan's journal up to the close."""
    month = month_start(month)
    close = month_close(month)
    with transaction.atomic():
        if LoanMonthEnd.objects.filter(month=month).exists():
            raise ValueError(f"The month-end tape for {month:%Y-%m} is already written.")
        loans = LoanAccount.objects.only("pk", "product_code", "paid_off_on").annotate(**_history_at(close))
        written = month_end_write(month, close, loans, lambda loan: standing_then(loan, close))
        audit_record(actor=actor, verb="servicing.month_end_rebuilt", after={"month": month, "loans": written})
    return written
