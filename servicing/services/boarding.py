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

``BOARDING_FILE`` is the CSV format for the shared import mechanism (``import_batches``).
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
from origination.models.choices import AllocationStrategy, Amortization, DayCount, Frequency
from servicing.models import ImportBatch, ImportLine, Installment, JournalEntry, LoanAccount
from servicing.models.ledger import CASH, ESCROW_LIABILITY, LOANS_RECEIVABLE
from servicing.services.import_batches import (
    ImportFormat,
    RowCheck,
    batch_commit,
    batch_stage,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_int,
    parse_money,
    parse_text,
)
from servicing.services.ledger import journal_post

Status = ImportLine.Status
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

    def to_json(self) -> dict[str, Any]:
        return {
            key: (str(value) if isinstance(value, Decimal | date) else value) for key, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransferLoan:
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
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
        next_due_date=loan.next_due_date,
        boarded_by=actor if actor is not None and actor.pk else None,
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


# --- the CSV format --------------------------------------------------------------------------------------------


class BoardingFile(ImportFormat):
    kind = ImportBatch.Kind.BOARDING
    amount_field = "current_principal_balance"
    required_columns = (
        "loan_number",
        "borrower_name",
        "principal",
        "annual_rate",
        "term_periods",
        "payment_frequency",
        "amortization",
        "day_count",
        "disbursement_date",
        "first_payment_date",
        "current_principal_balance",
        "next_due_date",
        "escrow_balance",
        "escrow_monthly_payment",
        "late_fee_percent",
        "late_fee_flat",
        "grace_days",
        "allocation_strategy",
    )
    optional_columns = ("borrower_email", "interest_only_periods", "balloon_after_periods")
    chunk_size = 200

    def check_rows(self, rows: list[RowCheck], state: dict[str, Any]) -> None:
        numbers = {row.raw["loan_number"] for row in rows}
        existing = dict(
            LoanAccount.objects.filter(loan_number__in=numbers).values_list("loan_number", "application_id")
        )
        emails = {row.raw.get("borrower_email", "").lower() for row in rows} - {""}
        known = {e.lower() for e in User.objects.filter(email__in=emails).values_list("email", flat=True)}
        seen = state.setdefault("loan_numbers", {})
        for row in rows:
            loan = _parse(row)
            if loan is None:
                continue
            first = seen.setdefault(loan.loan_number, row.line_number)
            if first != row.line_number:
                row.error("loan_number", f"{loan.loan_number} is repeated (first on line {first})")
                continue
            if loan.loan_number in existing:
                if existing[loan.loan_number] is not None:
                    row.error("loan_number", f"{loan.loan_number} is an originated loan, not a transferred one")
                else:
                    row.status, row.message = Status.DUPLICATE, f"{loan.loan_number} is already boarded"
                continue
            try:
                remaining = transfer_check(loan)
            except BoardingError as exc:
                row.errors.append(str(exc))
                continue
            row.parsed = loan.to_json()
            row.message = _summary(loan, remaining, loan.borrower_email.lower() in known)

    def commit_context(self, lines: list[ImportLine]) -> set[str]:
        numbers = [line.parsed["loan_number"] for line in lines]
        return set(LoanAccount.objects.filter(loan_number__in=numbers).values_list("loan_number", flat=True))

    def commit_line(self, line: ImportLine, context: set[str], actor: User | None) -> None:
        loan = TransferLoan.from_json(line.parsed)
        boarded = loan.loan_number in context
        account = loan_board_transfer(loan=loan, actor=actor)
        line.loan_id = account.pk
        line.status = Status.DUPLICATE if boarded else Status.POSTED
        line.message = f"{loan.loan_number} is already boarded" if boarded else f"boarded as {account.loan_number}"


def _summary(loan: TransferLoan, remaining: RemainingSchedule, user_found: bool) -> str:
    text = (
        f"{len(remaining.rows)} installments left from #{remaining.paid_periods + 1} ({loan.next_due_date}), "
        f"payment {remaining.regular_payment}, matures {remaining.maturity_date}"
    )
    if loan.borrower_email:
        text += "; portal user linked" if user_found else f"; no portal user {loan.borrower_email} (boarded without)"
    return text


def _parse(row: RowCheck) -> TransferLoan | None:
    """The row's fields, every error recorded on the row; None when any is wrong."""
    values: dict[str, Any] = {
        "loan_number": parse_text(row, "loan_number", max_length=32),
        "borrower_name": parse_text(row, "borrower_name", max_length=200),
        "borrower_email": parse_text(row, "borrower_email", required=False, max_length=254) or "",
        "principal": parse_money(row, "principal", positive=True),
        "annual_rate": parse_decimal(row, "annual_rate"),
        "term_periods": parse_int(row, "term_periods", low=1, high=amortization.MAX_TERM_PERIODS),
        "payment_frequency": parse_choice(row, "payment_frequency", Frequency.values),
        "amortization": parse_choice(row, "amortization", Amortization.values),
        "day_count": parse_choice(row, "day_count", DayCount.values),
        "disbursement_date": parse_date(row, "disbursement_date"),
        "first_payment_date": parse_date(row, "first_payment_date"),
        "current_principal_balance": parse_money(row, "current_principal_balance", positive=True),
        "next_due_date": parse_date(row, "next_due_date"),
        "escrow_balance": parse_money(row, "escrow_balance", required=False) or ZERO,
        "escrow_monthly_payment": parse_money(row, "escrow_monthly_payment", required=False) or ZERO,
        "late_fee_percent": parse_decimal(row, "late_fee_percent", required=False) or ZERO,
        "late_fee_flat": parse_money(row, "late_fee_flat", required=False) or ZERO,
        "grace_days": parse_int(row, "grace_days", low=0, high=90),
        "allocation_strategy": parse_choice(row, "allocation_strategy", AllocationStrategy.values),
        "interest_only_periods": parse_int(row, "interest_only_periods", required=False) or 0,
        "balloon_after_periods": parse_int(row, "balloon_after_periods", required=False, low=1),
    }
    if values["annual_rate"] is not None and values["annual_rate"] > 100:
        row.error("annual_rate", f"{values['annual_rate']} is not an annual percent rate")
    if row.errors:
        return None
    return TransferLoan(**values)


BOARDING_FILE = BoardingFile()


def boarding_import_stage(*, file_name: str, content: bytes | str, actor: User | None) -> ImportBatch:
    """Validate a servicing-transfer file and stage it as a batch to preview; boards nothing."""
    return batch_stage(fmt=BOARDING_FILE, file_name=file_name, content=content, actor=actor)


def boarding_import_commit(*, batch: ImportBatch, actor: User | None) -> ImportBatch:
    """Board the staged batch's valid loans, each on its own; loans already boarded show as duplicates."""
    return batch_commit(fmt=BOARDING_FILE, batch=batch, actor=actor)
