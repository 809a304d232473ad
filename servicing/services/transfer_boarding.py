"""Boarding loans from a servicing transfer: existing loans arrive as CSV rows, mid-life, without an application.

A transferred loan is booked with its original note terms (principal, rate, term, dates), and what is left of it:
the unpaid principal balance (UPB) and the next due date. Its schedule is the REMAINING one: the UPB amortized at
the note rate over the periods left, starting from the due date before ``next_due_date`` (a regular period, no
odd days), numbered on from the periods already paid, on the original due dates, so it matures when the note
does. ``next_due_date`` must be one of the note's due dates, and the UPB must be positive and no more than the note
amount (more would be negative amortization, which the remaining term cannot amortize). A loan whose next payment
is its first keeps the original first period (odd days priced per diem) on the UPB.

Journal (kind ``boarding``, dated when interest is paid through: the due date before ``next_due_date``, or the
disbursement date): Dr loans receivable / Cr cash for the UPB (what the loan was bought at); the escrow balance
received with it: Dr cash / Cr escrow liability (an escrow advance, a negative balance, the other way round).

``loan_board_transfer`` is idempotent by loan number: a loan already boarded from a transfer is returned and
nothing is posted; a number taken by an originated loan is refused. Escrow items are not part of the transfer
file: the escrow balance and the monthly escrow payment are boarded, the items are added afterwards.

The transfer file (CSV) and its import are in ``transfer_import``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization
from lending.finance.money import ZERO
from origination.models.choices import Frequency
from servicing.models import Installment, JournalEntry, LoanAccount
from servicing.models.ledger import CASH, ESCROW_LIABILITY, LOANS_RECEIVABLE
from servicing.services.ledger import journal_post

TRANSFER_PRODUCT = "Servicing transfer"


class BoardingError(ValueError):
    """A transferred loan cannot be boarded as given; nothing was written. ``field`` names the column at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


@dataclass(frozen=True, kw_only=True)
class TransferLoan:
    """One loan of a transfer file, parsed. Amounts are cent Decimals, rates annual percent."""

    loan_number: str
    borrower_name: str
    borrower_email: str = ""
    principal: Decimal
    annual_rate: Decimal
    term_periods: int
    payment_frequency: str
    amortization: str
    day_count: str
    disbursement_date: date
    first_payment_date: date
    current_principal_balance: Decimal
    next_due_date: date
    escrow_balance: Decimal = ZERO
    escrow_monthly_payment: Decimal = ZERO
    late_fee_percent: Decimal = ZERO
    late_fee_flat: Decimal = ZERO
    grace_days: int = 15
    allocation_strategy: str
    interest_only_periods: int = 0
    balloon_after_periods: int | None = None
    # The property securing the loan: all four, or none (boarded without; its state's rules then default).
    property_address_line1: str = ""
    property_city: str = ""
    property_state: str = ""
    property_postal_code: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            key: (str(value) if isinstance(value, Decimal | date) else value) for key, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransferLoan:
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in data:  # staged before the field existed (the property): its default
                continue
            value = data[spec.name]
            if value is not None and spec.type == "Decimal":
                value = Decimal(value)
            elif value is not None and spec.type == "date":
                value = date.fromisoformat(value)
            values[spec.name] = value
        return cls(**values)


@dataclass(frozen=True)
class RemainingSchedule:
    """What is left of the note: the periods already paid, the remaining rows on the note's due dates."""

    paid_periods: int
    rows: tuple[amortization.ScheduleRow, ...]  # numbered from 1; ``number + paid_periods`` is the installment
    due_dates: tuple[date, ...]
    regular_payment: Decimal
    maturity_date: date
    interest_paid_through: date


def transfer_schedule(loan: TransferLoan) -> RemainingSchedule:
    """The remaining schedule of a transferred loan (see the module docstring); ``BoardingError`` naming the
    column at fault when the figures do not make a loan."""
    note = _note_terms(loan)
    dates = amortization.due_dates(note.first_payment_date, note.frequency, note.rows)
    if loan.next_due_date not in dates:
        raise BoardingError(
            f"{loan.next_due_date} is not a due date of the note ({note.frequency} from {dates[0]} to {dates[-1]})",
            "next_due_date",
        )
    paid = dates.index(loan.next_due_date)
    upb = loan.current_principal_balance
    if upb <= 0:
        raise BoardingError("must be greater than zero (a paid-off loan is not boarded)", "current_principal_balance")
    if upb > loan.principal:
        raise BoardingError(
            f"{upb} exceeds the note amount {loan.principal}: it cannot amortize in the remaining term",
            "current_principal_balance",
        )
    try:
        schedule = amortization.build_schedule(_remaining_terms(loan, note, dates, paid))
    except ValueError as exc:
        raise BoardingError(f"the remaining term cannot be scheduled: {exc}", "current_principal_balance") from exc
    return RemainingSchedule(
        paid_periods=paid,
        rows=schedule.rows,
        due_dates=tuple(dates[paid:]),
        regular_payment=schedule.regular_payment,
        maturity_date=dates[-1],
        interest_paid_through=dates[paid - 1] if paid else loan.disbursement_date,
    )


def _note_terms(loan: TransferLoan) -> amortization.LoanTerms:
    try:
        return amortization.LoanTerms(
            principal=loan.principal,
            annual_rate=loan.annual_rate,
            term_periods=loan.term_periods,
            disbursement_date=loan.disbursement_date,
            first_payment_date=loan.first_payment_date,
            frequency=loan.payment_frequency,
            amortization=loan.amortization,
            day_count=loan.day_count,
            interest_only_periods=loan.interest_only_periods,
            balloon_after_periods=loan.balloon_after_periods,
        )
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        if message and field in {f.name for f in fields(TransferLoan)}:
            raise BoardingError(message, field) from exc
        raise BoardingError(f"the note terms are invalid: {exc}") from exc


def _remaining_terms(
    loan: TransferLoan, note: amortization.LoanTerms, dates: list[date], paid: int
) -> amortization.LoanTerms:
    """The UPB over the periods left: from the due date before the next one, a regular first period."""
    upb = loan.current_principal_balance
    if paid == 0:  # nothing paid yet: the note's own first period (odd days included), on the UPB
        return amortization.LoanTerms(**{**_terms_kwargs(note), "principal": upb})
    interest_only = max(note.interest_only_periods - paid, 0)
    kind = note.amortization
    if kind == "interest_only" and interest_only == 0:
        kind = "level"  # the interest-only years are over: what is left amortizes level
    balloon = note.balloon_after_periods - paid if note.balloon_after_periods is not None else None
    return amortization.LoanTerms(
        principal=upb,
        annual_rate=note.annual_rate,
        term_periods=note.term_periods - paid,
        disbursement_date=dates[paid - 1],
        first_payment_date=dates[paid],
        frequency=note.frequency,
        amortization=kind,
        day_count=note.day_count,
        odd_first_period="none",
        interest_only_periods=interest_only if kind == "interest_only" else 0,
        balloon_after_periods=balloon,
    )


def _terms_kwargs(terms: amortization.LoanTerms) -> dict[str, Any]:
    return {spec.name: getattr(terms, spec.name) for spec in fields(terms)}


def transfer_check(loan: TransferLoan) -> RemainingSchedule:
    """Every rule a transferred loan must meet before boarding (the schedule's and the escrow's)."""
    if loan.escrow_monthly_payment < 0:
        raise BoardingError("must not be negative", "escrow_monthly_payment")
    if loan.escrow_monthly_payment > 0 and loan.payment_frequency != Frequency.MONTHLY:
        raise BoardingError("escrow is collected on monthly loans only", "escrow_monthly_payment")
    return transfer_schedule(loan)


@transaction.atomic
def loan_board_transfer(*, loan: TransferLoan, actor: User | None) -> LoanAccount:
    """Board a loan from a servicing transfer: the account (no application), its remaining schedule and the
    boarding entry, audited. Idempotent by loan number (an earlier transfer's account is returned, nothing is
    posted); ``BoardingError`` when the loan cannot be boarded as given."""
    existing = _existing(loan.loan_number)
    if existing is not None:
        return existing
    remaining = transfer_check(loan)
    account = _account(loan, remaining, actor)
    try:
        with transaction.atomic():  # a savepoint: a concurrent boarding of the same number wins
            account.save()
    except IntegrityError:
        existing = _existing(loan.loan_number)
        if existing is not None:
            return existing
        raise
    Installment.objects.bulk_create(_installments(account, loan, remaining), batch_size=500)
    _post_boarding(account, loan, remaining, actor)
    audit_record(
        actor=actor,
        verb="loan.boarded_transfer",
        target=account,
        after={
            **loan.to_json(),
            "paid_periods": remaining.paid_periods,
            "remaining_periods": len(remaining.rows),
            "regular_payment": remaining.regular_payment,
            "maturity_date": remaining.maturity_date,
            "borrower": account.borrower_id,
        },
    )
    return account


def _existing(loan_number: str) -> LoanAccount | None:
    found = LoanAccount.objects.filter(loan_number=loan_number).first()
    if found is not None and found.application_id is not None:
        raise BoardingError(f"{loan_number} is an originated loan, not a transferred one", "loan_number")
    return found


def _account(loan: TransferLoan, remaining: RemainingSchedule, actor: User | None) -> LoanAccount:
    borrower = User.objects.filter(email__iexact=loan.borrower_email).first() if loan.borrower_email else None
    return LoanAccount(
        loan_number=loan.loan_number,
        application=None,
        borrower=borrower,
        borrower_name=loan.borrower_name,
        product_name=TRANSFER_PRODUCT,
        principal=loan.principal,
        annual_rate=loan.annual_rate,
        term_periods=loan.term_periods,
        payment_frequency=loan.payment_frequency,
        amortization=loan.amortization,
        interest_only_periods=loan.interest_only_periods,
        balloon_after_periods=loan.balloon_after_periods,
        day_count=loan.day_count,
        disbursement_date=loan.disbursement_date,
        first_payment_date=loan.first_payment_date,
        maturity_date=remaining.maturity_date,
        regular_payment=remaining.regular_payment,
        late_fee_percent=loan.late_fee_percent,
        late_fee_flat=loan.late_fee_flat,
        grace_days=loan.grace_days,
        allocation_strategy=loan.allocation_strategy,
        escrow_monthly_payment=loan.escrow_monthly_payment,
        interest_paid_through=remaining.interest_paid_through,
        interest_accrued_through=remaining.interest_paid_through,  # interest before it came over with the transfer
        next_due_date=loan.next_due_date,
        boarded_by=actor if actor is not None and actor.pk else None,
        property_address_line1=loan.property_address_line1,
        property_city=loan.property_city,
        property_state=loan.property_state,
        property_postal_code=loan.property_postal_code,
    )


def _installments(account: LoanAccount, loan: TransferLoan, remaining: RemainingSchedule) -> list[Installment]:
    escrow = loan.escrow_monthly_payment
    return [
        Installment(
            loan=account,
            number=remaining.paid_periods + row.number,
            due_date=due,
            principal=row.principal,
            interest=row.interest,
            escrow=escrow,
            payment=row.payment + escrow,
        )
        for row, due in zip(remaining.rows, remaining.due_dates, strict=True)
    ]


def _post_boarding(account: LoanAccount, loan: TransferLoan, remaining: RemainingSchedule, actor: User | None) -> None:
    upb, escrow = loan.current_principal_balance, loan.escrow_balance
    lines = [(LOANS_RECEIVABLE, upb, ZERO), (CASH, ZERO, upb)]
    if escrow > 0:
        lines += [(CASH, escrow, ZERO), (ESCROW_LIABILITY, ZERO, escrow)]
    elif escrow < 0:  # an escrow advance comes over as money the borrower owes the escrow account
        lines += [(ESCROW_LIABILITY, -escrow, ZERO), (CASH, ZERO, -escrow)]
    journal_post(
        actor=actor,
        loan=account,
        effective_date=remaining.interest_paid_through,
        kind=JournalEntry.Kind.BOARDING,
        memo=f"Servicing transfer of {account.loan_number}: UPB {upb}, escrow {escrow}",
        lines=lines,
        idempotency_key=f"loan-board-transfer:{account.loan_number}",
    )
