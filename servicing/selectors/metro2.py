"""The loans a month's Metro 2 file reports, read as ``AccountFacts`` in chunks of loans by primary key: seven
queries a chunk, whatever the loans' histories, so 100,000 loans stream in constant memory.

A month's file reports every consumer loan (mortgage or consumer installment; business loans are not consumer
credit) disbursed by the month end that is still open at it, paid off during it (reported once, 13/65), or charged
off and not yet recovered in full before it. Status and history are as of the month end (from the delinquency
history); balances and the amount past due are the loan's running figures when the file is made, so the file is
meant to be made after the month's last close of business and before the next month's (the command's default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Max, Q, QuerySet, Sum
from django.utils import timezone

from origination.models import Borrower
from origination.models.choices import AllocationStrategy, ProductKind
from servicing.metro2.accounts import CONSUMER, MORTGAGE, ZERO, AccountFacts, AgingPoint, Consumer, month_end
from servicing.metro2.file import Furnisher, Metro2Summary, metro2_lines
from servicing.models import (
    DelinquencyHistory,
    Forbearance,
    LoanAccount,
    LoanModification,
    LoanTransaction,
    Recovery,
    ReportedConsumer,
)

CHUNK = 2000
REPORTED_CONSUMER_FIELDS = (
    "surname",
    "first_name",
    "middle_name",
    "generation_code",
    "ssn",
    "date_of_birth",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "co_borrowers",
)
# The columns the records read (a loan row has ~70): instantiating 100,000 whole loans was a third of the time.
LOAN_FIELDS = (
    "loan_number",
    "application_id",
    "allocation_strategy",
    "borrower_name",
    "disbursement_date",
    "boarded_at",
    "principal",
    "term_periods",
    "payment_frequency",
    "regular_payment",
    "escrow_monthly_payment",
    "principal_balance",
    "interest_due",
    "fees_due",
    "escrow_balance",
    "amount_to_bring_current",
    "delinquency_as_of",
    "days_past_due",
    "paid_off_on",
    "charge_off__charged_off_on",
    "charge_off__loss",
    "charge_off__days_past_due",
    "foreclosure_referral__id",
    *(f"reported_consumer__{name}" for name in REPORTED_CONSUMER_FIELDS),
)


def metro2_furnisher() -> Furnisher:
    config: dict[str, str] = settings.LENDING_METRO2
    return Furnisher(**config)


def _loans(start: date, end: date) -> QuerySet[LoanAccount]:
    return (
        LoanAccount.objects.filter(disbursement_date__lte=end)
        .exclude(application__product__kind=ProductKind.BUSINESS)
        .exclude(paid_off_on__lt=start)
        .select_related("charge_off", "foreclosure_referral", "reported_consumer")
        .only(*LOAN_FIELDS)
        .annotate(product_kind=F("application__product__kind"))
        .order_by("pk")
    )


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _telephone(text: str) -> str:
    digits = _digits(text)
    digits = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return digits if len(digits) == 10 else ""


def _consumer_from_borrowers(borrowers: list[Borrower]) -> Consumer | None:
    primary = next((b for b in borrowers if b.is_primary), borrowers[0] if borrowers else None)
    if primary is None:
        return None
    return Consumer(
        surname=primary.last_name,
        first_name=primary.first_name,
        ssn=_digits(primary.ssn or ""),
        date_of_birth=primary.date_of_birth,
        telephone=_telephone(primary.phone),
        address_line_1=primary.address_line1,
        city=primary.city,
        state=primary.state,
        postal_code=_digits(primary.postal_code),
        co_borrowers=len(borrowers) - 1,
    )


def _consumer_reported(row: ReportedConsumer) -> Consumer:
    return Consumer(
        surname=row.surname,
        first_name=row.first_name,
        middle_name=row.middle_name,
        generation_code=row.generation_code,
        ssn=_digits(row.ssn or ""),
        date_of_birth=row.date_of_birth,
        telephone=_telephone(row.phone),
        address_line_1=row.address_line1,
        address_line_2=row.address_line2,
        city=row.city,
        state=row.state,
        postal_code=_digits(row.postal_code),
        co_borrowers=row.co_borrowers,
    )


def _one_to_one(loan: LoanAccount, name: str) -> Any:
    """The row on the other side of a reverse one-to-one (selected with the loan), or None."""
    try:
        return getattr(loan, name)
    except ObjectDoesNotExist:
        return None


def _kind(loan: LoanAccount) -> str:
    product_kind = getattr(loan, "product_kind", None)  # annotated by _loans
    if product_kind is not None:
        return MORTGAGE if product_kind == ProductKind.MORTGAGE else CONSUMER
    # A transferred loan has no product: the mortgage waterfall (escrow) says it is a mortgage.
    return MORTGAGE if loan.allocation_strategy == AllocationStrategy.MORTGAGE_STANDARD else CONSUMER


class _ChunkReads:
    """Everything a chunk of loans' records read besides the loans themselves, by loan id (six queries)."""

    def __init__(self, loans: list[LoanAccount], start: date, end: date) -> None:
        ids = [loan.pk for loan in loans]
        applications = [loan.application_id for loan in loans if loan.application_id]
        self.borrowers: dict[int, list[Borrower]] = defaultdict(list)
        for borrower in Borrower.objects.filter(application_id__in=applications).order_by(
            "application_id", "-is_primary", "id"
        ):
            self.borrowers[borrower.application_id].append(borrower)
        self.aging: dict[int, list[AgingPoint]] = defaultdict(list)
        history = DelinquencyHistory.objects.filter(loan_id__in=ids, as_of__lte=end).order_by("loan_id", "as_of", "id")
        for loan_id, as_of, days in history.values_list("loan_id", "as_of", "days_past_due"):
            self.aging[loan_id].append(AgingPoint(as_of, days))
        payments = (
            LoanTransaction.objects.filter(
                loan_id__in=ids,
                kind=LoanTransaction.Kind.PAYMENT,
                status=LoanTransaction.Status.POSTED,
                effective_date__lte=end,
            )
            .order_by()
            .values("loan_id")
            .annotate(last=Max("effective_date"), in_month=Sum("amount", filter=Q(effective_date__gte=start)))
        )
        self.payments: dict[int, dict[str, Any]] = {row["loan_id"]: dict(row) for row in payments}
        recoveries = (
            Recovery.objects.filter(loan_id__in=ids, received_on__lte=end)
            .order_by()
            .values("loan_id")
            .annotate(
                total=Sum("amount"),
                before=Sum("amount", filter=Q(received_on__lt=start)),
                last=Max("received_on"),
                in_month=Sum("amount", filter=Q(received_on__gte=start)),
            )
        )
        self.recoveries: dict[int, dict[str, Any]] = {row["loan_id"]: dict(row) for row in recoveries}
        self.forborne = set(
            Forbearance.objects.filter(loan_id__in=ids, starts_on__lte=end)
            .filter(Q(status=Forbearance.Status.ACTIVE) | Q(resolved_on__gt=end))
            .values_list("loan_id", flat=True)
        )
        self.modified = set(
            LoanModification.objects.filter(
                loan_id__in=ids, status=LoanModification.Status.PERMANENT, resolved_on__lte=end
            ).values_list("loan_id", flat=True)
        )


def _aging(loan: LoanAccount, rows: list[AgingPoint], end: date) -> tuple[AgingPoint, ...]:
    """The history rows, and the loan's last aging when it is within the month and after them."""
    points = list(rows)
    aged = loan.delinquency_as_of
    if aged is not None and aged <= end and (not points or aged > points[-1].as_of):
        points.append(AgingPoint(aged, loan.days_past_due))
    return tuple(points)


def _latest(*days: date | None) -> date | None:
    present = [day for day in days if day is not None]
    return max(present) if present else None


def _facts(loan: LoanAccount, reads: _ChunkReads, start: date, end: date) -> AccountFacts | None:
    charge_off = _one_to_one(loan, "charge_off")
    recovered = reads.recoveries.get(loan.pk, {})
    if (
        charge_off is not None
        and charge_off.charged_off_on < start
        and (recovered.get("before") or ZERO) >= charge_off.loss
    ):
        return None  # recovered in full before this month: reported (64) in an earlier file
    payments = reads.payments.get(loan.pk, {})
    reported = _one_to_one(loan, "reported_consumer")
    consumer = (
        _consumer_reported(reported)
        if reported is not None
        else _consumer_from_borrowers(reads.borrowers.get(loan.application_id or 0, []))
    )
    boarded_on = timezone.localdate(loan.boarded_at)
    return AccountFacts(
        loan_id=loan.pk,
        account_number=loan.loan_number,
        kind=_kind(loan),
        date_opened=loan.disbursement_date,
        history_from=loan.disbursement_date if loan.application_id else max(boarded_on, loan.disbursement_date),
        original_amount=loan.principal,
        term_periods=loan.term_periods,
        frequency=loan.payment_frequency,
        regular_payment=loan.regular_payment,
        escrow_payment=loan.escrow_monthly_payment,
        principal_balance=loan.principal_balance,
        interest_due=loan.interest_due,
        fees_due=loan.fees_due,
        escrow_balance=loan.escrow_balance,
        amount_to_bring_current=loan.amount_to_bring_current,
        aging=_aging(loan, reads.aging.get(loan.pk, []), end),
        paid_off_on=loan.paid_off_on,
        charged_off_on=charge_off.charged_off_on if charge_off else None,
        charge_off_loss=charge_off.loss if charge_off else ZERO,
        charge_off_days_past_due=charge_off.days_past_due if charge_off else 0,
        recovered=recovered.get("total") or ZERO,
        foreclosure_referred=_one_to_one(loan, "foreclosure_referral") is not None,
        last_payment_on=_latest(payments.get("last"), recovered.get("last")),
        paid_in_month=(payments.get("in_month") or ZERO) + (recovered.get("in_month") or ZERO),
        in_forbearance=loan.pk in reads.forborne,
        modified=loan.pk in reads.modified,
        consumer=consumer,
    )


def metro2_end(month: date) -> date:
    """The date of account information of ``month``'s file: its last day, or today while the month is running."""
    return min(month_end(month), timezone.localdate())


def metro2_accounts(*, month: date, chunk: int = CHUNK) -> Iterator[AccountFacts]:
    """The facts of every loan the file of ``month`` (any day of it) reports, by primary key, ``chunk`` loans a time."""
    start, end = month.replace(day=1), metro2_end(month)
    last_pk = 0
    while True:
        loans = list(_loans(start, end).filter(pk__gt=last_pk)[:chunk])
        if not loans:
            return
        last_pk = loans[-1].pk
        reads = _ChunkReads(loans, start, end)
        for loan in loans:
            facts = _facts(loan, reads, start, end)
            if facts is not None:
                yield facts


def metro2_file_lines(*, month: date, summary: Metro2Summary, created: datetime | None = None) -> Iterator[str]:
    """The file of ``month`` as a stream of lines; ``summary`` holds the totals once the stream is read."""
    return metro2_lines(
        metro2_accounts(month=month),
        end=metro2_end(month),
        furnisher=metro2_furnisher(),
        created=created or timezone.localtime(),
        summary=summary,
    )


def metro2_summary(*, month: date) -> Metro2Summary:
    """The file of ``month`` read through, for its totals and the accounts withheld (nothing is kept)."""
    summary = Metro2Summary(end=metro2_end(month))
    for _line in metro2_file_lines(month=month, summary=summary):
        pass
    return summary


def metro2_filename(month: date) -> str:
    return f"metro2_{month:%Y_%m}.txt"
