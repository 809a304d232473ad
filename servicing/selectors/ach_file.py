"""The NACHA file of the ACH payments settling on a date, for our bank (``servicing.ach_processor.nacha``)."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db.models import Q

from servicing.ach_processor.base import get_processor, trace_number
from servicing.ach_processor.nacha import CHECKING_DEBIT, SAVINGS_DEBIT, NachaEntry, Originator, nacha_file
from servicing.models import PendingPayment
from servicing.services.ach_nightly import ach_settlement_date, latest_scheduled_settling_by

SANDBOX_REFERENCE = "SANDBOX"  # the File Header's reference code on a file made while the sandbox is in use


def originator() -> Originator:
    return Originator(**settings.LENDING_ACH_ORIGINATOR)


def ach_file_payments(settlement_date: date) -> list[PendingPayment]:
    """The payments to send in a file for ``settlement_date``: those in no file yet that settled that day (returned
    since or not) or are still pending and settle that day, in id order."""
    due = Q(status=PendingPayment.Status.PENDING, scheduled_date__lte=latest_scheduled_settling_by(settlement_date))
    return list(
        PendingPayment.objects.filter(Q(settled_on=settlement_date) | due, ach_file__isnull=True)
        .select_related("loan")
        .order_by("pk")
    )


def nacha_entry(pending: PendingPayment) -> NachaEntry:
    savings = pending.account_type == PendingPayment.AccountType.SAVINGS
    return NachaEntry(
        transaction_code=SAVINGS_DEBIT if savings else CHECKING_DEBIT,
        routing_number=pending.routing_number,
        account_number=pending.account_number,
        amount=pending.amount,
        individual_id=pending.loan.loan_number,
        individual_name=pending.account_holder,
        trace_number=pending.trace_number or trace_number(pending.pk),
    )


def payment_settlement_date(pending: PendingPayment) -> date:
    """The day a payment settled, or will settle."""
    return pending.settled_on or ach_settlement_date(pending.scheduled_date)


def ach_file_render(
    *,
    settlement_date: date,
    created: datetime,
    file_id_modifier: str = "A",
    payments: list[PendingPayment] | None = None,
) -> str:
    """The NACHA file (PPD debits, effective ``settlement_date``) of ``payments`` (default: every payment settling
    that day); a sandbox-made file says SANDBOX in its header."""
    processor = get_processor()
    chosen = ach_file_payments(settlement_date) if payments is None else payments
    return nacha_file(
        originator=originator(),
        entries=[nacha_entry(p) for p in chosen],
        effective_date=settlement_date,
        created=created,
        file_id_modifier=file_id_modifier,
        reference_code=SANDBOX_REFERENCE if processor.is_sandbox else "",
    )
