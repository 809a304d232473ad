"""Month-end tape demo data for `manage.py seed_demo`: the six months closed before the demo nights, so the
delinquency report has roll rates, balances by bucket and loans entering delinquency to show.

The demo's late loans came to us from a servicing transfer that paid nothing since their oldest unpaid due date,
so their standing at each past month end is what aging that due date at the month's close gives (the nightly
delinquency rules, ``loan_delinquency``): each one rolls a bucket a month until it reaches today's. The loans paid
on schedule are current. Months the nights close themselves are left to the nightly step; a month already on the
tape is left alone (idempotent).
"""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db.models import OuterRef, Subquery

from servicing.models import ChargeOff, LoanAccount, LoanMonthEnd
from servicing.selectors.delinquency_report import add_months
from servicing.services.month_end import Standing, left_book, month_close, month_end_write, month_start
from servicing.services.nightly.steps.delinquency import loan_delinquency, oldest_unpaid_due

MONTHS = 6


def _aged_at(close: date, loan: LoanAccount) -> Standing:
    gone = left_book(loan, close)
    if gone is not None:
        return gone
    days, bucket, _status = loan_delinquency(loan, oldest_unpaid_due(loan, close), close)
    charged_off = loan.status == LoanAccount.Status.CHARGED_OFF  # charged off later: its balance then was written off
    principal = loan.charged_off_principal if charged_off else loan.principal_balance  # type: ignore[attr-defined]
    return Standing(bucket, days, principal)


def month_end_demo_seed(*, first_night: date) -> int:
    """Write the tape of the ``MONTHS`` months closed before ``first_night``, oldest first; how many rows."""
    charge_off = ChargeOff.objects.filter(loan=OuterRef("pk"))
    loans = LoanAccount.objects.annotate(
        charged_off_on=Subquery(charge_off.values("charged_off_on")[:1]),
        charged_off_principal=Subquery(charge_off.values("principal")[:1]),
    )
    last = month_start(first_night)
    if month_close(last) >= first_night:
        last = add_months(last, -1)
    written = 0
    for back in range(MONTHS - 1, -1, -1):
        month = add_months(last, -back)
        if not LoanMonthEnd.objects.filter(month=month).exists():
            close = month_close(month)
            written += month_end_write(month, close, loans, partial(_aged_at, close))
    return written
