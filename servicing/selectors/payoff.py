"""Payoff reads: the figures to pay a loan in full as of a date, the loan's quotes, the borrower's own loan.

How the figures are made (``payoff_figures``), from the loan's running balances and ``lending.finance.payoff``:
- principal: the principal balance;
- interest: simple interest on that balance from ``interest_paid_through`` through ``good_through`` inclusive
  (``finance.payoff.simple_interest``, rounded once), less interest already paid on installments due after
  ``interest_paid_through`` (partly paid interest). Unpaid scheduled interest is not added: the accrual from the
  paid-through date covers it. The balance is today's, the way scheduled-interest mortgages count it: a
  curtailment lowers the interest of the whole period it falls in. A borrower who paid an installment before its
  due date has interest paid *beyond* ``good_through``: nothing accrues (no negative period, ``accrual_days`` 0),
  the interest of the days from ``good_through`` to ``interest_paid_through`` is credited (``interest_credit``)
  and, as no interest is owed against it, refunded after the payoff (``interest_refund``) rather than taken off
  the amount to pay, so the payment's allocation never carries a negative interest line. The per diem then
  starts after ``interest_paid_through`` (``per_diem_from``): until then a later arrival only shrinks the refund;
- fees: the fees due; an escrow advance (negative escrow balance) is owed back;
- suspense (unapplied funds) is credited, up to the debt (the rest is refunded);
- escrow: not netted. The mortgage-industry norm, and what Reg X 12 CFR 1024.34(b)(1) describes, is to return
  the escrow balance to the borrower within 20 days (excluding weekends and legal public holidays) of payment
  in full; the official comment allows netting, we do not, so the quote shows the expected refund apart
  (``escrow_refund``) and the payoff total does not depend on taxes or insurance being paid from escrow
  before the funds arrive.
- per diem: one day's interest on the principal (``finance.payoff.per_diem``), to add for each day after
  ``good_through``.
``finance.payoff.payoff_quote`` applies the same accrual rule but refuses a loan paid ahead
(``as_of`` before ``interest_paid_through``) and nets escrow, so the figures are composed from its parts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet, Sum
from django.shortcuts import get_object_or_404

from lending.core.roles import RequestUser
from lending.finance import daycount
from lending.finance import payoff as finance_payoff
from lending.finance.money import ZERO, cents
from servicing.models import Installment, JournalEntry, LoanAccount, PayoffQuote
from servicing.services.letter_context import loan_property

RECENT_QUOTES = 20  # how many of a loan's quotes a page lists


@dataclass(frozen=True, slots=True)
class PayoffFigures:
    """What it takes to close the loan if the funds arrive by ``good_through`` (module rules)."""

    as_of: date
    good_through: date
    interest_paid_through: date
    accrual_days: int
    principal: Decimal
    accrued_interest: Decimal
    interest_credit: Decimal
    interest: Decimal
    interest_refund: Decimal
    fees: Decimal
    escrow_advance: Decimal
    suspense_credit: Decimal
    suspense_refund: Decimal
    total: Decimal
    per_diem: Decimal
    escrow_refund: Decimal

    @property
    def per_diem_from(self) -> date:
        """The per diem is added for each day after this date (see the module docstring)."""
        return max(self.good_through, self.interest_paid_through)

    def as_fields(self) -> dict[str, Any]:
        """The figures as model field values (``PayoffQuote`` and ``LoanPayoff`` share them)."""
        return asdict(self)


def interest_paid_ahead(loan: LoanAccount) -> Decimal:
    """Interest paid on installments due after the loan's ``interest_paid_through`` (partly paid interest, or an
    installment paid out of turn): one aggregate query."""
    paid = Installment.objects.filter(loan=loan, due_date__gt=loan.interest_paid_through).aggregate(
        total=Sum("paid_interest")
    )["total"]
    return cents(paid or ZERO)


def last_posting_date(loan: LoanAccount) -> date | None:
    """The effective date of the loan's latest journal entry: figures are only accurate on or after it."""
    last: date | None = JournalEntry.objects.filter(loan=loan).aggregate(last=Max("effective_date"))["last"]
    return last


def payoff_figures(loan: LoanAccount, *, as_of: date, good_through: date) -> PayoffFigures:
    """The payoff of ``loan`` from its current balances, with interest through ``good_through`` inclusive.

    The caller validates the dates (``as_of <= good_through``, not before the last posting)."""
    if good_through < as_of:
        raise ValueError("good_through must not be before as_of")
    principal = loan.principal_balance
    paid_through = loan.interest_paid_through
    accrued, accrual_days = _accrual(loan, good_through)
    credit = interest_paid_ahead(loan) + _interest_beyond(loan, good_through)
    net_interest = accrued - credit
    interest = max(net_interest, ZERO)
    escrow_advance = max(-loan.escrow_balance, ZERO)
    owed = principal + interest + loan.fees_due + escrow_advance
    suspense_credit = min(loan.suspense_balance, owed)
    return PayoffFigures(
        as_of=as_of,
        good_through=good_through,
        interest_paid_through=paid_through,
        accrual_days=accrual_days,
        principal=principal,
        accrued_interest=accrued,
        interest_credit=credit,
        interest=interest,
        interest_refund=max(-net_interest, ZERO),
        fees=loan.fees_due,
        escrow_advance=escrow_advance,
        suspense_credit=suspense_credit,
        suspense_refund=loan.suspense_balance - suspense_credit,
        total=owed - suspense_credit,
        per_diem=finance_payoff.per_diem(principal, loan.annual_rate, loan.day_count, good_through),
        escrow_refund=max(loan.escrow_balance, ZERO),
    )


def _accrual(loan: LoanAccount, good_through: date) -> tuple[Decimal, int]:
    """Interest owed from ``interest_paid_through`` through ``good_through`` and its days; none (never a negative
    period) when interest is already paid beyond ``good_through``."""
    paid_through = loan.interest_paid_through
    if paid_through >= good_through:
        return ZERO, 0
    interest = finance_payoff.simple_interest(
        loan.principal_balance, loan.annual_rate, paid_through, good_through, loan.day_count
    )
    return interest, daycount.days_between(paid_through, good_through, loan.day_count)


def _interest_beyond(loan: LoanAccount, good_through: date) -> Decimal:
    """Interest already paid for the days after ``good_through`` (an installment paid before its due date): a
    credit, refunded after the payoff."""
    if loan.interest_paid_through <= good_through:
        return ZERO
    return finance_payoff.simple_interest(
        loan.principal_balance, loan.annual_rate, good_through, loan.interest_paid_through, loan.day_count
    )


def payoff_quotes_for_loan(loan: LoanAccount, *, limit: int = RECENT_QUOTES) -> list[PayoffQuote]:
    """The loan's latest quotes, newest first, with who asked (one query)."""
    return list(
        PayoffQuote.objects.filter(loan=loan).select_related("requested_by").order_by("-requested_at", "-id")[:limit]
    )


def payoff_quote_for_loan(loan: LoanAccount, pk: int | str) -> PayoffQuote:
    """One quote of ``loan`` (404 when it belongs to another loan or is missing)."""
    return get_object_or_404(PayoffQuote.objects.select_related("loan", "requested_by"), pk=pk, loan=loan)


def loan_for_borrower(*, user: RequestUser, pk: int) -> LoanAccount:
    """The borrower's own loan (404 for another borrower's loan or a missing one)."""
    return get_object_or_404(LoanAccount.objects.all(), pk=pk, borrower=user)


def loan_for_payoff_letter(loan: LoanAccount) -> dict[str, Any]:
    """What the letter shows about the parties: the borrowers when the loan came from an application (the booked
    borrower name otherwise: servicing transfers) and the property as boarded."""
    application = loan.application
    return {
        "borrowers": list(application.borrowers.all()) if application is not None else [],
        "property": loan_property(loan),
    }


def payoff_quotes_admin() -> QuerySet[PayoffQuote]:
    """Quotes for the admin list, with their loan and requester."""
    return PayoffQuote.objects.select_related("loan", "requested_by")
