"""Year-end interest: the IRS Form 1098 (Mortgage Interest Statement) figures of every loan for a calendar year, a
borrower PDF per loan (kind ``form_1098``, key the year) and a CSV for the servicer (``manage.py year_end``).

The figures, per loan, set-based over the portfolio in chunks (a handful of aggregate queries per chunk):
- box 1, mortgage interest received: the interest the borrower's payments paid in the year (the standing
  allocation lines, bucket ``interest``, of payments still posted, by effective date; a reversed payment does not
  count, a payoff's interest does);
- box 2, outstanding principal on January 1: the loans receivable balance of the ledger before January 1; for a
  loan originated in the year its original principal, and for a loan acquired in the year (servicing transfer) the
  principal it was boarded with (IRS instructions for Form 1098, box 2);
- box 3, origination date: the disbursement date; box 11, acquisition date: the boarding date of a loan transferred
  to us in the year;
- box 5, mortgage insurance premiums: paid from escrow in the year (``EscrowDisbursement`` of mortgage insurance
  items, by the date paid);
- box 6, points paid on the purchase of the principal residence: the origination fee (a percentage of the loan
  amount, which the IRS treats as points) of a purchase loan originated in the year, from its product's
  ``origination_fee_percent``; 0 for a refinance, another year or a transferred loan;
- box 8, property address: the loan's property, as boarded ("" for a transferred loan boarded without one);
- box 10, other: the property taxes paid from escrow in the year (``EscrowDisbursement`` of property tax items).

A loan is on the list for the year when it existed in it and any of boxes 1, 5, 6 or 10 is not zero;
``reportable`` says whether the IRS must receive it (box 1 with box 6 at least $600). Documents are made only for
a year that has ended, once per loan and year (a rerun makes none); the CSV is rewritten from the same figures.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TextIO

from django.db.models import F, Q, Sum
from django.utils import timezone

from lending.core.models import User
from lending.finance.money import CONTEXT, HUNDRED, ZERO, cents
from origination.models.choices import Purpose
from origination.services.disclosures import pdf_render
from servicing.models import (
    AllocationLine,
    BorrowerDocument,
    EscrowDisbursement,
    EscrowItem,
    JournalEntry,
    JournalLine,
    LoanAccount,
    LoanTransaction,
)
from servicing.models.ledger import LOANS_RECEIVABLE
from servicing.services.documents import document_store
from servicing.services.letter_context import letter_context, property_address

CHUNK = 500
REPORTING_THRESHOLD = Decimal("600.00")  # IRS: a 1098 is required for $600 or more of interest (with points)
TEMPLATE = "pdf/borrower/form_1098.html"
CSV_COLUMNS = (
    "tax_year",
    "loan_number",
    "borrower_name",
    "box1_mortgage_interest",
    "box2_outstanding_principal",
    "box3_origination_date",
    "box5_mortgage_insurance_premiums",
    "box6_points_paid",
    "box8_property_address",
    "box10_property_taxes",
    "box11_acquisition_date",
    "irs_reportable",
)


class YearEndError(Exception):
    """The year-end run was refused; nothing was written. The message says why."""


@dataclass(frozen=True)
class Form1098:
    """One loan's Form 1098 figures for ``year`` (see the module docstring for where each comes from)."""

    loan: LoanAccount
    year: int
    interest_received: Decimal
    principal_january_1: Decimal
    origination_date: date
    mortgage_insurance: Decimal
    points_paid: Decimal
    property_address: str
    property_taxes: Decimal
    acquisition_date: date | None

    @property
    def reportable(self) -> bool:
        return self.interest_received + self.points_paid >= REPORTING_THRESHOLD

    @property
    def has_figures(self) -> bool:
        return any((self.interest_received, self.points_paid, self.mortgage_insurance, self.property_taxes))

    def csv_row(self) -> list[str]:
        return [
            str(self.year),
            self.loan.loan_number,
            self.loan.borrower_name,
            str(self.interest_received),
            str(self.principal_january_1),
            self.origination_date.isoformat(),
            str(self.mortgage_insurance),
            str(self.points_paid),
            self.property_address,
            str(self.property_taxes),
            self.acquisition_date.isoformat() if self.acquisition_date else "",
            "yes" if self.reportable else "no",
        ]


@dataclass
class YearEndResult:
    year: int
    forms: list[Form1098]
    documents_made: int = 0
    documents_existing: int = 0


def year_end_check(year: int, today: date, *, allow_partial: bool = False) -> None:
    """Refuse a year that has not ended (its figures would be incomplete), unless a partial preview is asked for."""
    if year > today.year:
        raise YearEndError(f"{year} is in the future: there is nothing to report yet.")
    if year == today.year and not allow_partial:
        raise YearEndError(
            f"{year} has not ended yet (it ends on December 31, {year}): its Form 1098 figures would be incomplete. "
            "Run it in January, or use --allow-partial for a preview CSV (no documents are made)."
        )


def loan_ids_for_year(year: int) -> list[int]:
    """The loans that existed in ``year``: disbursed by its end, not paid off before it began."""
    return list(
        LoanAccount.objects.filter(disbursement_date__lte=date(year, 12, 31), boarded_at__year__lte=year)
        .filter(Q(paid_off_on__isnull=True) | Q(paid_off_on__gte=date(year, 1, 1)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _sums(rows: Iterable[tuple[int, Decimal | None]]) -> dict[int, Decimal]:
    # cents(): SQLite sums decimals as floats' text (4223.59000000000); PostgreSQL keeps the scale.
    return {loan_id: cents(total or ZERO) for loan_id, total in rows}


def _interest_received(loan_ids: list[int], year: int) -> dict[int, Decimal]:
    return _sums(
        AllocationLine.objects.current()
        .filter(
            transaction__loan_id__in=loan_ids,
            transaction__kind=LoanTransaction.Kind.PAYMENT,
            transaction__status=LoanTransaction.Status.POSTED,
            transaction__effective_date__year=year,
            bucket=AllocationLine.Bucket.INTEREST,
        )
        .order_by()
        .values("transaction__loan_id")
        .annotate(total=Sum("amount"))
        .values_list("transaction__loan_id", "total")
    )


def _principal_before(loan_ids: list[int], day: date) -> dict[int, Decimal]:
    """The loans receivable balance of each loan before ``day``, from the ledger."""
    return _sums(
        JournalLine.objects.filter(loan_id__in=loan_ids, account__code=LOANS_RECEIVABLE, entry__effective_date__lt=day)
        .order_by()
        .values("loan_id")
        .annotate(total=Sum(F("debit") - F("credit")))
        .values_list("loan_id", "total")
    )


def _boarded_principal(loan_ids: list[int]) -> dict[int, Decimal]:
    """The principal each transferred loan was boarded with (its boarding entry's loans receivable debit)."""
    return _sums(
        JournalLine.objects.filter(
            loan_id__in=loan_ids, account__code=LOANS_RECEIVABLE, entry__kind=JournalEntry.Kind.BOARDING
        )
        .order_by()
        .values("loan_id")
        .annotate(total=Sum("debit"))
        .values_list("loan_id", "total")
    )


def _escrow_paid(loan_ids: list[int], year: int) -> dict[tuple[int, str], Decimal]:
    rows = (
        EscrowDisbursement.objects.filter(
            loan_id__in=loan_ids,
            paid_on__year=year,
            item__kind__in=(EscrowItem.Kind.PROPERTY_TAX, EscrowItem.Kind.MORTGAGE_INSURANCE),
        )
        .order_by()
        .values("loan_id", "item__kind")
        .annotate(total=Sum("amount"))
        .values_list("loan_id", "item__kind", "total")
    )
    return {(loan_id, kind): cents(total) for loan_id, kind, total in rows}


def points_paid(loan: LoanAccount, year: int) -> Decimal:
    """Box 6: the origination fee of a purchase loan originated in ``year`` (module docstring); else 0."""
    application = loan.application
    if application is None or loan.disbursement_date.year != year or application.purpose != Purpose.PURCHASE:
        return ZERO
    return cents(CONTEXT.divide(CONTEXT.multiply(loan.principal, application.product.origination_fee_percent), HUNDRED))


def _boarded_on(loan: LoanAccount) -> date:
    return timezone.localdate(loan.boarded_at)  # the local date, as the ``boarded_at__year`` lookup reads it


def _principal_january_1(
    loan: LoanAccount, year: int, ledger: dict[int, Decimal], boarded: dict[int, Decimal]
) -> Decimal:
    if loan.disbursement_date.year == year:
        return loan.principal  # originated in the year: the original principal
    if loan.application_id is None and _boarded_on(loan).year == year:
        return boarded.get(loan.pk, ZERO)  # acquired in the year: the principal on acquisition
    return ledger.get(loan.pk, ZERO)


def form_1098_figures(*, year: int, loan_ids: list[int]) -> list[Form1098]:
    """The Form 1098 figures of ``loan_ids`` for ``year``: five queries whatever the number of loans."""
    loans = list(LoanAccount.objects.filter(pk__in=loan_ids).select_related("application__product").order_by("pk"))
    interest = _interest_received(loan_ids, year)
    ledger = _principal_before(loan_ids, date(year, 1, 1))
    boarded = _boarded_principal(loan_ids)
    escrow = _escrow_paid(loan_ids, year)
    forms = []
    for loan in loans:
        acquired = loan.application_id is None and _boarded_on(loan).year == year
        forms.append(
            Form1098(
                loan=loan,
                year=year,
                interest_received=interest.get(loan.pk, ZERO),
                principal_january_1=_principal_january_1(loan, year, ledger, boarded),
                origination_date=loan.disbursement_date,
                mortgage_insurance=escrow.get((loan.pk, EscrowItem.Kind.MORTGAGE_INSURANCE), ZERO),
                points_paid=points_paid(loan, year),
                property_address=property_address(loan),
                property_taxes=escrow.get((loan.pk, EscrowItem.Kind.PROPERTY_TAX), ZERO),
                acquisition_date=_boarded_on(loan) if acquired else None,
            )
        )
    return forms


def form_1098_make(*, form: Form1098, actor: User | None) -> BorrowerDocument:
    """Render and store ``form``'s borrower copy (kind ``form_1098``, key the year); idempotent."""
    pdf = pdf_render(TEMPLATE, letter_context(form.loan, form=form))
    return document_store(
        loan=form.loan,
        kind=BorrowerDocument.Kind.FORM_1098,
        key=str(form.year),
        title=f"Form 1098 mortgage interest statement {form.year}",
        document_date=date(form.year, 12, 31),
        pdf=pdf,
        actor=actor,
    )


def year_end_run(
    *,
    year: int,
    actor: User | None,
    today: date,
    allow_partial: bool = False,
    loan_ids: list[int] | None = None,
    chunk: int = CHUNK,
) -> YearEndResult:
    """The Form 1098 figures of every loan of ``year`` (or of ``loan_ids``), chunk by chunk, and for a year that
    has ended the borrower documents not yet made. ``YearEndError`` for a year that has not ended (unless
    ``allow_partial``: figures only)."""
    year_end_check(year, today, allow_partial=allow_partial)
    make_documents = year < today.year
    ids = loan_ids_for_year(year) if loan_ids is None else sorted(loan_ids)
    result = YearEndResult(year=year, forms=[])
    for start in range(0, len(ids), chunk):
        forms = [f for f in form_1098_figures(year=year, loan_ids=ids[start : start + chunk]) if f.has_figures]
        result.forms += forms
        if not make_documents:
            continue
        stored = set(
            BorrowerDocument.objects.filter(
                loan_id__in=[f.loan.pk for f in forms], kind=BorrowerDocument.Kind.FORM_1098, key=str(year)
            ).values_list("loan_id", flat=True)
        )
        for form in forms:
            if form.loan.pk in stored:
                result.documents_existing += 1
            else:
                form_1098_make(form=form, actor=actor)
                result.documents_made += 1
    return result


def _cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a borrower name typed as ``=HYPERLINK(...)``)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def form_1098_csv(forms: list[Form1098], out: TextIO) -> None:
    """The servicer's CSV: a header and one row per loan (``CSV_COLUMNS``), amounts as plain decimals."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for form in forms:
        writer.writerow([_cell(value) for value in form.csv_row()])
