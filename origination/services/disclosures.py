"""Loan Estimates and Closing Disclosures: the figures, computed with lending.finance, and a simplified PDF.

The figures follow Regulation Z: prepaid finance charges (1026.4) lower the amount financed (1026.18(b)); the
finance charge is the total of payments less the amount financed (1026.18(d), (h)); the APR comes from the
actuarial method of Appendix J (lending.finance.apr). The PDF is a plain summary of those figures, clearly
marked as simplified: it is not the official H-24 / H-25 layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from lending.core import calendar, roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization, apr, escrow
from lending.finance.daycount import add_months
from lending.finance.money import CONTEXT, HUNDRED, ROUNDING, ZERO, cents
from origination.models import Application, Disclosure, ProductFee

LOAN_ESTIMATE = Disclosure.Kind.LOAN_ESTIMATE
CLOSING_DISCLOSURE = Disclosure.Kind.CLOSING_DISCLOSURE
# Who issues what: the Loan Estimate at application, the Closing Disclosure at closing.
ISSUE_ROLES: dict[str, tuple[str, ...]] = {
    LOAN_ESTIMATE: (roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER),
    CLOSING_DISCLOSURE: (roles.CLOSER, roles.MANAGER),
}
RECEIPT_ROLES = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.CLOSER, roles.MANAGER)
# Statuses in which each disclosure may be issued (a Loan Estimate from application; a CD once approved).
ISSUE_STATUSES: dict[str, tuple[str, ...]] = {
    LOAN_ESTIMATE: (
        "draft",
        "submitted",
        "processing",
        "underwriting",
        "approved",
        "conditionally_approved",
        "suspended",
        "clear_to_close",
    ),
    CLOSING_DISCLOSURE: ("approved", "conditionally_approved", "clear_to_close", "closing"),
}
PRESUMED_RECEIPT_BUSINESS_DAYS = 3  # 1026.19(e)(1)(iv) and (f)(1)(iii): specific business days
APR_DISCLOSURE_QUANTUM = Decimal("0.001")  # 1026.38(o)(4): the APR as a percentage to three decimals
PDF_TEMPLATES: dict[str, str] = {
    LOAN_ESTIMATE: "pdf/loan_estimate.html",
    CLOSING_DISCLOSURE: "pdf/closing_disclosure.html",
}
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
        return add_months(advance_date.replace(day=1), 2)
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
    if disclosure.received_on:
        return disclosure.received_on
    if disclosure.delivery == Disclosure.Delivery.IN_PERSON:
        return disclosure.issued_on
    return calendar.add_business_days(disclosure.issued_on, PRESUMED_RECEIPT_BUSINESS_DAYS, calendar.SPECIFIC)


def monthly_escrow_estimate(application: Application) -> Decimal | None:
    """Estimated escrow per month (taxes and insurance / 12) when the product escrows, else None."""
    prop = getattr(application, "subject_property", None)
    if not application.product.escrow_required or prop is None:
        return None
    return escrow.monthly_payments(prop.annual_property_tax + prop.annual_insurance)[0]


# --- documents -------------------------------------------------------------------------------------------


def pdf_render(template_name: str, context: dict[str, Any]) -> bytes:
    """A PDF rendered by WeasyPrint from a template under templates/pdf/ (system fonts, no network)."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    html = render_to_string(template_name, context)
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf


def percent_display(value: Decimal) -> str:
    """A percentage without trailing zeros and never in exponent form: 6.5000 -> "6.5", 3.8750 -> "3.875"."""
    return f"{value.normalize():f}"


def document_context(application: Application, figures: LoanFigures, **extra: Any) -> dict[str, Any]:
    """What every loan document shows: the parties, the property, the terms and the figures."""
    product = application.product
    return {
        "creditor_name": getattr(settings, "LENDING_CREDITOR_NAME", "the Lender"),
        "rate_display": percent_display(figures.annual_rate),
        "origination_fee_display": percent_display(product.origination_fee_percent),
        "late_fee_display": percent_display(product.late_fee_percent),
        "application": application,
        "product": product,
        "borrowers": list(application.borrowers.all()),
        "property": getattr(application, "subject_property", None),
        "figures": figures,
        "schedule_head": figures.schedule.rows[:3],
        "escrow_monthly": monthly_escrow_estimate(application),
        "is_mortgage": product.kind == "mortgage",
        "generated_at": timezone.now(),
        **extra,
    }


# --- writes ----------------------------------------------------------------------------------------------


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("product").get(pk=application.pk)


@transaction.atomic
def disclosure_issue(
    *,
    actor: User,
    application: Application,
    kind: str,
    issued_on: date,
    delivery: str,
    received_on: date | None = None,
) -> Disclosure:
    """Issue a Loan Estimate or Closing Disclosure: compute its figures, render its PDF, record when it was
    delivered (and received, if known), then refresh the compliance checks. Raises DisclosureError."""
    if kind not in ISSUE_ROLES:
        raise DisclosureError(f"Unknown disclosure {kind!r}.")
    label = Disclosure.Kind(kind).label
    if not roles.has_role(actor, *ISSUE_ROLES[kind]):
        raise PermissionDenied(f"Your role may not issue a {label}.")
    if delivery not in Disclosure.Delivery.values:
        raise DisclosureError(f"Unknown delivery method {delivery!r}.")
    app = _lock(application)
    if app.status not in ISSUE_STATUSES[kind]:
        raise DisclosureError(f"A {label} cannot be issued while the application is {app.get_status_display()}.")
    if app.application_date is None:
        raise DisclosureError("The application is not complete yet (no application date): nothing to disclose.")
    today = timezone.localdate()
    if issued_on < app.application_date or issued_on > today:
        raise DisclosureError(f"The issue date must be between the application date {app.application_date} and today.")
    if received_on is not None and not issued_on <= received_on <= today:
        raise DisclosureError("The receipt date must be between the issue date and today.")
    if delivery == Disclosure.Delivery.EMAIL and app.econsent_at is None:
        raise DisclosureError("Electronic delivery needs the borrower's e-consent (E-Sign Act); mail it instead.")
    if kind == CLOSING_DISCLOSURE and not app.disclosures.filter(kind=LOAN_ESTIMATE).exists():
        raise DisclosureError("Issue a Loan Estimate before the Closing Disclosure.")
    if received_on is None and delivery == Disclosure.Delivery.IN_PERSON:
        received_on = issued_on
    figures = figures_for(app, issued_on)
    disclosure = Disclosure(
        application=app,
        kind=kind,
        issued_on=issued_on,
        delivery=delivery,
        received_on=received_on,
        loan_amount=figures.loan_amount,
        annual_rate=figures.annual_rate,
        apr=figures.disclosed_apr,
        finance_charge=figures.finance_charge,
        amount_financed=figures.amount_financed,
        total_of_payments=figures.total_of_payments,
        monthly_payment=figures.payment,
        points_and_fees=figures.points_and_fees,
        issued_by=actor,
    )
    pdf = pdf_render(PDF_TEMPLATES[kind], document_context(app, figures, disclosure=disclosure))
    disclosure.document.save(f"{app.number}-{kind.replace('_', '-')}.pdf", ContentFile(pdf), save=False)
    try:
        disclosure.save()
        audit_record(
            actor=actor,
            verb=f"disclosure.{kind}.issued",
            target=disclosure,
            after={"issued_on": issued_on, "delivery": delivery, "received_on": received_on, **figures.summary()},
        )
        _refresh_checks(app, actor)
    except BaseException:
        disclosure.document.delete(save=False)  # no stored file without its row
        raise
    return disclosure


@transaction.atomic
def disclosure_record_receipt(*, actor: User, disclosure: Disclosure, received_on: date) -> Disclosure:
    """Record when the borrower actually received a disclosure (replacing the presumed receipt)."""
    if not roles.has_role(actor, *RECEIPT_ROLES):
        raise PermissionDenied("Your role may not record disclosure receipts.")
    locked = Disclosure.objects.select_for_update().select_related("application__product").get(pk=disclosure.pk)
    if not locked.issued_on <= received_on <= timezone.localdate():
        raise DisclosureError("The receipt date must be between the issue date and today.")
    before = locked.received_on
    locked.received_on = received_on
    locked.save(update_fields=["received_on"])
    audit_record(
        actor=actor,
        verb=f"disclosure.{locked.kind}.received",
        target=locked,
        before={"received_on": before},
        after={"received_on": received_on},
    )
    _refresh_checks(locked.application, actor)
    return locked


def _refresh_checks(application: Application, actor: User) -> None:
    # Timing and APR checks depend on disclosures: keep the stored results current.
    from origination.services.compliance import compliance_run  # compliance uses this module's figures

    compliance_run(application=application, actor=actor)
