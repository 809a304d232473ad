"""Collections test helpers: delinquent loans as the nightly run leaves them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from servicing.models import DelinquencyHistory, LoanAccount
from tests.servicing.factories import boarded_loan

AGED_ON = date(2027, 2, 15)
BRING_CURRENT = Decimal("5817.46")  # 3,396.26 + 2,421.20, as the nightly delinquency step stores it


def delinquent_loan(*, days: int = 45, bucket: str = "30-59", aged_on: date = AGED_ON, **kwargs) -> LoanAccount:
    """A boarded 30-year mortgage (property in IL) nothing was paid on, aged ``days`` past due on ``aged_on``:
    the installments of Jan 1 ($3,396.26) and Feb 1 2027 ($2,421.20) are due by Feb 15."""
    loan = boarded_loan(**kwargs)
    LoanAccount.objects.filter(pk=loan.pk).update(
        days_past_due=days,
        delinquency_bucket=bucket,
        delinquency_status="delinquent",
        delinquency_as_of=aged_on,
        amount_to_bring_current=BRING_CURRENT if days else Decimal("0.00"),
    )
    loan.refresh_from_db()
    return loan


def history_row(loan: LoanAccount, day: date, bucket_from: str, bucket_to: str) -> DelinquencyHistory:
    """A nightly delinquency-history row moving ``loan`` from ``bucket_from`` to ``bucket_to`` on ``day``."""
    return DelinquencyHistory.objects.create(
        loan=loan,
        as_of=day,
        days_past_due=1,
        bucket_from=bucket_from,
        bucket_to=bucket_to,
        status_from="current",
        status_to="delinquent",
    )
