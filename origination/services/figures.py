"""The Regulation Z figures of a loan, computed with lending.finance, and when a disclosure counts as received.

Prepaid finance charges (1026.4) lower the amount financed (1026.18(b)); the finance charge is the total of
payments less the amount financed (1026.18(d), (h)); the APR comes from the actuarial method of Appendix J
(lending.finance.apr). Disclosures, compliance checks and closing documents all read their figures here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending.finance import amortization, apr, daycount
from lending.finance.money import CONTEXT, HUNDRED, ROUNDING, ZERO, cents
from origination import trid
from origination.models import Application, Disclosure, ProductFee

APR_DISCLOSURE_QUANTUM = Decimal("0.001")  # 1026.38(o)(4): the APR as a percentage to three decimals
UNIT_PERIODS = {
    "monthly": "monthly",
    "semimonthly": "semimonthly",
    "biweekly": "biweekly",
    "weekly": "weekly",
    "quarterly": "quarterly",
}


class DisclosureError(Exception):
    """A disclosure cannot be issued or changed as asked; the message says why."""


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: Decimal
    is_finance_charge: bool
    is_points_and_fees: bool


@dataclass(frozen=True)
class LoanFigures:
    """Every disclosed figure of one loan on given dates, and the schedule they come from."""

    loan_amount: Decimal
    annual_rate: Decimal
    term_periods: int
    frequency: str
    advance_date: date
    first_payment_date: date
    payment: Decimal  # the regular installment
    first_payment: Decimal  # with the odd first period's interest
    origination_fee: Decimal
    fees: tuple[FeeLine, ...]
    prepaid_finance_charges: Decimal
    points_and_fees: Decimal
    amount_financed: Decimal
    total_of_payments: Decimal
    finance_charge: Decimal
    apr: Decimal  # unrounded (10 decimals), as lending.finance.apr returns it
    regular: bool  # a regular transaction for the APR tolerance, 1026.22(a)(2) vs (a)(3)
    schedule: amortization.Schedule

    @property
    def disclosed_apr(self) -> Decimal:
        return self.apr.quantize(APR_DISCLOSURE_QUANTUM, rounding=ROUNDING)

    @property
    def maturity_date(self) -> date:
        return self.schedule.rows[-1].due_date

    @property
    def disbursed_amount(self) -> Decimal:
        """What the borrower receives: the loan amount less the prepaid finance charges withheld at funding."""
        return self.loan_amount - self.prepaid_finance_charges

    def summary(self) -> dict[str, str]:
        """The figures as strings, for audit events and check details."""
        names = (
            "loan_amount",
            "annual_rate",
            "payment",
            "prepaid_finance_charges",
            "points_and_fees",
            "amount_financed",
            "total_of_payments",
            "finance_charge",
            "advance_date",
            "first_payment_date",
        )
        return {name: str(getattr(self, name)) for name in names} | {"apr": str(self.disclosed_apr)}


# --- figures ---------------------------------------------------------------------------------------------


def default_first_payment_date(advance_date: date, frequency: str) -> date:
    """Monthly loans: the first of the month after next (closing Dec 15 -> Feb 1); others: one period on."""
    if frequency == "monthly":
        return daycount.add_months(advance_date.replace(day=1), 2)
    return amortization.due_date(advance_date, frequency, 1)


def terms_dates(application: Application, fallback: date) -> tuple[date, date]:
    """The advance (consummation) date and first payment date the figures use: the scheduled ones when set,
    else ``fallback`` (the day a disclosure is issued) and the default first payment date after it."""
    advance = application.closing_date or fallback
    first = application.first_payment_date
    if first is None or first <= advance:
        first = default_first_payment_date(advance, application.product.payment_frequency)
    return advance, first


def loan_figures(
    *, application: Application, advance_date: date, first_payment_date: date, fees: list[ProductFee] | None = None
) -> LoanFigures:
    """The Reg Z figures of ``application``'s loan (its product's terms and fees, its amount) on these dates.

    Prepaid finance charges (1026.4): the origination fee plus the product's fees marked as finance charges;
    amount financed 1026.18(b); total of payments 1026.18(h); finance charge 1026.18(d); APR App. J.
    Points and fees (1026.32(b)(1), simplified): the origination fee plus fees marked as points and fees.
    """
    product = application.product
    amount = application.amount_requested
    if amount is None:
        raise DisclosureError("The application has no loan amount yet.")
    fee_rows = list(product.fees.all()) if fees is None else fees
    lines = tuple(FeeLine(f.name, f.amount, f.is_finance_charge, f.is_points_and_fees) for f in fee_rows)
    origination_fee = cents(CONTEXT.divide(CONTEXT.multiply(amount, product.origination_fee_percent), HUNDRED))
    prepaid = origination_fee + sum((f.amount for f in lines if f.is_finance_charge), ZERO)
    points_and_fees = origination_fee + sum((f.amount for f in lines if f.is_points_and_fees), ZERO)
    unit_period = UNIT_PERIODS.get(product.payment_frequency, "monthly")
    try:
        terms = amortization.LoanTerms(
            principal=amount,
            annual_rate=product.annual_rate,
            term_periods=product.term_periods,
            disbursement_date=advance_date,
            first_payment_date=first_payment_date,
            frequency=product.payment_frequency,
            amortization=product.amortization,
            day_count=product.day_count,
            interest_only_periods=product.interest_only_periods if product.amortization == "interest_only" else 0,
            balloon_after_periods=product.balloon_after_periods if product.amortization == "balloon" else None,
        )
        schedule = amortization.build_schedule(terms)
        payments = [(row.due_date, row.payment) for row in schedule.rows]
        financed = apr.amount_financed(loan_amount=amount, prepaid_finance_charges=prepaid)
        total = apr.total_of_payments(payments)
        charge = apr.finance_charge(total_of_payments=total, amount_financed=financed)
        rate = apr.apr(financed, advance_date, payments, unit_period)
        regular = not apr.is_irregular(advance_date, payments, unit_period)
    except ValueError as exc:
        raise DisclosureError(f"The loan figures cannot be computed: {exc}") from exc
    return LoanFigures(
        loan_amount=cents(amount),
        annual_rate=product.annual_rate,
        term_periods=product.term_periods,
        frequency=product.payment_frequency,
        advance_date=advance_date,
        first_payment_date=first_payment_date,
        payment=schedule.regular_payment,
        first_payment=schedule.rows[0].payment,
        origination_fee=origination_fee,
        fees=lines,
        prepaid_finance_charges=prepaid,
        points_and_fees=points_and_fees,
        amount_financed=financed,
        total_of_payments=total,
        finance_charge=charge,
        apr=rate,
        regular=regular,
        schedule=schedule,
    )


def figures_for(application: Application, fallback: date, fees: list[ProductFee] | None = None) -> LoanFigures:
    """The figures on the application's scheduled dates (or ``fallback`` as the advance date)."""
    advance, first = terms_dates(application, fallback)
    return loan_figures(application=application, advance_date=advance, first_payment_date=first, fees=fees)


def disclosure_received_on(disclosure: Disclosure) -> date:
    """Actual receipt, else same day in person, else presumed 3 specific business days after it was sent
    (1026.19(e)(1)(iv) for the Loan Estimate, (f)(1)(iii) for the Closing Disclosure)."""
    return trid.received_on(disclosure)
