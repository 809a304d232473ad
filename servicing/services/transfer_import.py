"""The servicing-transfer file: ``BOARDING_FILE`` is its CSV format for the shared import mechanism
(``import_batches``); each valid row is boarded by ``transfer_boarding.loan_board_transfer``."""

from __future__ import annotations

import re
from typing import Any

from lending.core.models import User
from lending.core.timezones import STATE_TIME_ZONES
from lending.finance import amortization
from lending.finance.money import ZERO
from origination.models.choices import AllocationStrategy, Amortization, DayCount, Frequency
from servicing.models import ImportBatch, ImportLine, LoanAccount
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
from servicing.services.transfer_boarding import (
    BoardingError,
    RemainingSchedule,
    TransferLoan,
    loan_board_transfer,
    transfer_check,
)

Status = ImportLine.Status


# The property securing the loan: all four or none (a file without them boards loans without a property).
PROPERTY_COLUMNS = ("property_address_line1", "property_city", "property_state", "property_postal_code")
_POSTAL_CODE = re.compile(r"\d{5}(-\d{4})?")


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
    optional_columns = ("borrower_email", "interest_only_periods", "balloon_after_periods", *PROPERTY_COLUMNS)
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
    if not loan.property_state:
        text += "; no property address (statements and the 1098 show none; no state late-fee cap or calling hours)"
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
    values.update(_parse_property(row))
    if row.errors:
        return None
    return TransferLoan(**values)


def _parse_property(row: RowCheck) -> dict[str, str]:
    """The property's address columns: none given, or all four, with a known state code and a ZIP code."""
    given = {column: row.raw.get(column, "") for column in PROPERTY_COLUMNS}
    if not any(given.values()):
        return {}
    for column, value in given.items():
        if not value:
            row.error(column, "required with the other property columns")
    line1 = parse_text(row, "property_address_line1", required=False, max_length=200)
    city = parse_text(row, "property_city", required=False, max_length=100)
    state = given["property_state"].upper()
    if state and state not in STATE_TIME_ZONES:
        row.error("property_state", f"unknown state {given['property_state']!r}; use its two-letter code (IL)")
    postal = given["property_postal_code"]
    if postal and not _POSTAL_CODE.fullmatch(postal):
        row.error("property_postal_code", f"{postal!r} is not a ZIP code (62701 or 62701-1234)")
    return {
        "property_address_line1": line1 or "",
        "property_city": city or "",
        "property_state": state,
        "property_postal_code": postal,
    }


BOARDING_FILE = BoardingFile()


def boarding_import_stage(*, file_name: str, content: bytes | str, actor: User | None) -> ImportBatch:
    """Validate a servicing-transfer file and stage it as a batch to preview; boards nothing."""
    return batch_stage(fmt=BOARDING_FILE, file_name=file_name, content=content, actor=actor)


def boarding_import_commit(*, batch: ImportBatch, actor: User | None) -> ImportBatch:
    """Board the staged batch's valid loans, each on its own; loans already boarded show as duplicates."""
    return batch_commit(fmt=BOARDING_FILE, batch=batch, actor=actor)
