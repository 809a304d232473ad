"""Making the NACHA file the bank is sent, and recording it as sent.

A file is made from the debits not yet in a file: those settling on a day (``manage.py ach_file``) or a
servicer's selection of one settlement day (the admin action). The file's text is kept as made (``AchFile``) and
each debit points at it, in the same transaction as an ``ach_file.created`` audit row, so:
- a second file of the same day holds only the debits the first did not (no debit is sent twice);
- a file is downloaded again byte for byte from what was kept, never remade;
- a debit in a file can no longer be cancelled here (``ach.ach_payment_cancel``): it is the bank's now.
The debits are locked (``select_for_update``, id order) and re-read as not in a file, so two files made at the
same moment cannot both take a debit. Each file made on one day takes the next free File ID Modifier (A-Z, then
0-9), the header's way of telling apart the files of one creation date.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from servicing.ach_processor.base import get_processor
from servicing.ach_processor.nacha import NachaError
from servicing.models import AchFile, PendingPayment
from servicing.selectors.ach_file import ach_file_payments, ach_file_render
from servicing.services.ach import AchError

MODIFIERS = string.ascii_uppercase + string.digits  # NACHA: upper-case A-Z, numeric 0-9


def ach_file_create(
    *,
    settlement_date: date,
    actor: User | None,
    payment_ids: list[int] | None = None,
    file_id_modifier: str | None = None,
) -> AchFile:
    """Make and record the file of the debits settling on ``settlement_date`` that are in no file yet (or of
    ``payment_ids``, which must all settle that day and be in no file). Refused (``AchError``, nothing written)
    when there is nothing to send, a chosen debit is already in a file, the modifier is taken or the file
    cannot be written."""
    created = _now()
    with transaction.atomic():
        payments = _lock_unsent(settlement_date, payment_ids)
        modifier = _modifier(created.date(), file_id_modifier)
        try:
            text = ach_file_render(
                settlement_date=settlement_date, created=created, file_id_modifier=modifier, payments=payments
            )
        except NachaError as exc:
            raise AchError(f"the NACHA file cannot be written: {exc}") from exc
        ach_file = _record(settlement_date, created, modifier, payments, text, actor)
        PendingPayment.objects.filter(pk__in=[p.pk for p in payments]).update(ach_file=ach_file)
        audit_record(
            actor=actor,
            verb="ach_file.created",
            target=ach_file,
            after={
                "settlement_date": settlement_date.isoformat(),
                "file_id_modifier": modifier,
                "entry_count": ach_file.entry_count,
                "total": str(ach_file.total),
                "payments": [p.pk for p in payments],
            },
        )
        return ach_file


def _now() -> datetime:
    return timezone.localtime()


def _lock_unsent(settlement_date: date, payment_ids: list[int] | None) -> list[PendingPayment]:
    sendable = [p.pk for p in ach_file_payments(settlement_date)]
    ids = sendable if payment_ids is None else sorted(set(payment_ids))
    locked = list(
        PendingPayment.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("loan", "ach_file")
        .order_by("pk")
    )
    if payment_ids is not None:
        _check_selection(settlement_date, locked, ids, set(sendable))
    unsent = [p for p in locked if p.ach_file_id is None]  # read under the lock: another file may have taken some
    if not unsent:
        raise AchError(f"there is no ACH debit settling {settlement_date.isoformat()} that is not already in a file")
    return unsent


def _check_selection(settlement_date: date, locked: list[PendingPayment], ids: list[int], sendable: set[int]) -> None:
    if len(locked) != len(ids):
        raise AchError("a selected payment no longer exists")
    for pending in locked:
        sent = pending.ach_file
        if sent is not None:
            raise AchError(
                f"ACH {pending.pk} is already in file {sent.pk} ({sent.file_id_modifier}, made "
                f"{sent.created_on.isoformat()}): download that file again from ACH files"
            )
        if pending.pk not in sendable:
            raise AchError(
                f"ACH {pending.pk} ({pending.get_status_display().lower()}) is not a debit settling "
                f"{settlement_date.isoformat()}"
            )


def _modifier(created_on: date, wanted: str | None) -> str:
    used = set(AchFile.objects.filter(created_on=created_on).values_list("file_id_modifier", flat=True))
    if wanted is not None:
        if wanted not in MODIFIERS:
            raise AchError("the file id modifier is one letter (A-Z) or digit")
        if wanted in used:
            raise AchError(f"file id modifier {wanted} is already used by a file made {created_on.isoformat()}")
        return wanted
    free = [m for m in MODIFIERS if m not in used]
    if not free:
        raise AchError(f"all {len(MODIFIERS)} file id modifiers of {created_on.isoformat()} are used")
    return free[0]


def _record(
    settlement_date: date,
    created: datetime,
    modifier: str,
    payments: list[PendingPayment],
    text: str,
    actor: User | None,
) -> AchFile:
    try:
        with transaction.atomic():
            return AchFile.objects.create(
                settlement_date=settlement_date,
                created_on=created.date(),
                file_id_modifier=modifier,
                created_at=created,
                created_by=actor if actor is not None and actor.pk else None,
                entry_count=len(payments),
                total=sum((p.amount for p in payments), Decimal(0)),
                is_sandbox=get_processor().is_sandbox,
                content=text,
            )
    except IntegrityError as exc:  # another file took this modifier between our read and our insert
        raise AchError(f"another file took file id modifier {modifier} just now: make the file again") from exc
