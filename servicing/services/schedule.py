"""Keeping the installments still to come priced on the loan's actual balance.

A principal prepayment (or the reversal of one, or a replay that moves one) changes the balance off schedule.
``installments_rederive`` then re-derives the installments that start on or after the change and have received
nothing yet (``lending.finance.reamortization``): each one's interest is the balance at its start times the
periodic rate, rounded once; the payment stays level, so more goes to principal, and the last one takes the
remainder (the rows after it ask for nothing). Installments already billed when the money arrived (their period
started before it), and those paid on, keep their amounts. Incremental: one query reads the loan's installments
from the change on (and any unpaid before it), one statement writes the changed ones.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from lending.core.bulk import bulk_update_rows
from lending.finance import amortization
from lending.finance.money import ZERO
from lending.finance.reamortization import Row, reamortize
from servicing.models import Installment, LoanAccount

SCHEDULE_FIELDS = ("principal", "interest", "payment")


def installments_rederive(loan: LoanAccount, *, changed_on: date) -> int:
    """Re-derive the loan's untouched installments whose period starts on or after ``changed_on`` from its
    current ``principal_balance`` (the loan is locked by the caller). Returns how many changed."""
    installments = list(
        Installment.objects.filter(Q(paid_on__isnull=True) | Q(due_date__gte=changed_on), loan=loan)
        .order_by("number")
        .only("pk", "number", "due_date", *SCHEDULE_FIELDS, "escrow", "paid_principal", "paid_interest", "paid_on")
    )
    later = _rederivable(installments, changed_on)
    if not later:
        return 0
    first = later[0].number
    # The balance when the first re-derived installment starts: what is owed less what the earlier unpaid ones
    # will still repay (capped as the dues cap it: prepayments may have left less than they ask for).
    owed_before = sum((i.principal - i.paid_principal for i in installments if i.number < first), ZERO)
    balance = max(loan.principal_balance - owed_before, ZERO)
    figures = reamortize(
        balance=balance,
        annual_rate=loan.annual_rate,
        per_year=amortization.periods_per_year(loan.payment_frequency),
        rows=[Row(i.number, i.principal) for i in later],
        level_payment=loan.regular_payment,
        amortization=loan.amortization,
        interest_only_periods=loan.interest_only_periods,
    )
    changed = []
    for installment, (principal, interest) in zip(later, figures, strict=True):
        if (installment.principal, installment.interest) != (principal, interest):
            installment.principal, installment.interest = principal, interest
            installment.payment = principal + interest + installment.escrow
            changed.append(installment)
    bulk_update_rows(Installment, changed, SCHEDULE_FIELDS)
    return len(changed)


def _rederivable(installments: list[Installment], changed_on: date) -> list[Installment]:
    """The installments after the first one due on or after ``changed_on`` (their periods start on or after it),
    from the first of the run, to the last installment, that nothing has been paid on."""
    start = next((index for index, i in enumerate(installments) if i.due_date >= changed_on), None)
    if start is None:
        return []
    later = installments[start + 1 :]
    run = len(later)
    while run and _untouched(later[run - 1]):
        run -= 1
    return later[run:]


def _untouched(installment: Installment) -> bool:
    return installment.paid_on is None and not installment.paid_principal and not installment.paid_interest
