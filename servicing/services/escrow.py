"""Escrow items as the servicer keeps them (a new tax bill, a new premium), and the calendar rules the nightly escrow
step and the annual analysis share.

An item is paid every ``12 / payments_per_year`` months; payment ``n`` of the year is the ``n``-th part of
``split_evenly(annual_amount, payments_per_year)``: every part but the last rounded down, the last carrying the
rounding remainder, so a year's payments add up to the annual amount exactly.

The annual analysis is due ``ANALYSIS_NOTICE_DAYS`` before the next computation year starts: the analysis date is
the notice date, and the new escrow payment takes effect on the first installment due at least that many days
after it, which with the default date is the first installment of the new computation year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.daycount import add_months
from lending.finance.money import split_evenly
from servicing.models import EscrowItem, LoanAccount
from servicing.models.escrow import PAYMENTS_PER_YEAR_CHOICES

ANALYSIS_NOTICE_DAYS = 30
ITEM_FIELDS = (
    "kind",
    "description",
    "payee",
    "annual_amount",
    "payments_per_year",
    "next_due_date",
    "next_payment_number",
)


class EscrowItemError(Exception):
    """An escrow item was refused; ``errors`` maps each field to what is wrong with it. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Occurrence:
    """One payment of an item: its due date, which payment of the year it is, and its amount."""

    due_date: date
    payment_number: int
    amount: Decimal


def analysis_date_for_year(year_start: date) -> date:
    """The analysis (notice) date of the computation year after the one starting on ``year_start``."""
    return add_months(year_start, 12) - timedelta(days=ANALYSIS_NOTICE_DAYS)


def item_payment(annual_amount: Decimal, payments_per_year: int, payment_number: int) -> Decimal:
    """Payment ``payment_number`` (1-based) of the year; the last one carries the rounding remainder."""
    return split_evenly(annual_amount, payments_per_year)[payment_number - 1]


def item_following(due_date: date, payments_per_year: int, payment_number: int) -> tuple[date, int]:
    """The due date and payment number after ``(due_date, payment_number)``."""
    return add_months(due_date, 12 // payments_per_year), payment_number % payments_per_year + 1


def item_occurrences(item: EscrowItem, *, before: date) -> list[Occurrence]:
    """The item's payments from its next due date up to (not including) ``before``."""
    out = []
    due, number = item.next_due_date, item.next_payment_number
    while due < before:
        out.append(Occurrence(due, number, item_payment(item.annual_amount, item.payments_per_year, number)))
        due, number = item_following(due, item.payments_per_year, number)
    return out


def escrow_item_problems(item: EscrowItem) -> dict[str, str]:
    """What is wrong with ``item`` as entered, by field (empty when it may be saved)."""
    problems = {}
    loan = item.loan if item.loan_id else None
    if loan is not None and loan.status != LoanAccount.Status.ACTIVE:
        problems["loan"] = f"{loan.loan_number} is {loan.get_status_display().lower()}: its escrow is closed."
    if item.annual_amount is None or item.annual_amount <= 0:
        problems["annual_amount"] = "Must be greater than zero."
    elif item.annual_amount != item.annual_amount.quantize(Decimal("0.01")):
        problems["annual_amount"] = "Whole cents only."
    if item.payments_per_year not in PAYMENTS_PER_YEAR_CHOICES:
        problems["payments_per_year"] = "Must divide the year: 1, 2, 3, 4, 6 or 12."
    elif not 1 <= (item.next_payment_number or 0) <= item.payments_per_year:
        problems["next_payment_number"] = f"Must be from 1 to {item.payments_per_year}."
    if item.next_due_date is None:
        problems["next_due_date"] = "Give the date the next payment is due."
    elif loan is not None and item.next_due_date <= loan.disbursement_date:
        # The nightly step pays every payment due since this date: one before the loan existed is a typo.
        problems["next_due_date"] = f"Must be after the loan's disbursement date {loan.disbursement_date}."
    if not (item.description or "").strip():
        problems["description"] = "Say what the bill is."
    return problems


def _snapshot(item: EscrowItem) -> dict[str, Any]:
    return {field: getattr(item, field) for field in ITEM_FIELDS}


def escrow_item_save(*, actor: User | None, item: EscrowItem) -> EscrowItem:
    """Add ``item`` (no pk) or save the servicer's changes to it, audited with the fields before and after. The loan
    must be active; a loan that had no escrow analysis scheduled gets one a year after its next installment."""
    with transaction.atomic():
        problems = escrow_item_problems(item)
        if problems:
            raise EscrowItemError(problems)
        loan = LoanAccount.objects.select_for_update().get(pk=item.loan_id)
        if loan.status != LoanAccount.Status.ACTIVE:  # checked again under the lock
            raise EscrowItemError({"loan": f"{loan.loan_number} is {loan.get_status_display().lower()}."})
        before = None
        if item.pk is not None:
            stored = EscrowItem.objects.get(pk=item.pk)
            if stored.loan_id != item.loan_id:
                raise EscrowItemError({"loan": "An item stays on its loan: add a new item instead."})
            before = _snapshot(stored)
        item.save()
        if loan.escrow_analysis_date is None:
            loan.escrow_analysis_date = analysis_date_for_year(loan.next_due_date or loan.first_payment_date)
            loan.save(update_fields=["escrow_analysis_date", "updated_at"])
        audit_record(
            actor=actor,
            verb="escrow_item.changed" if before is not None else "escrow_item.added",
            target=item,
            before=before,
            after={"loan": loan.loan_number, **_snapshot(item)},
        )
        return item
