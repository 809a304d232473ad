"""Reads for replays: what a backdated payment or a reversal changed in the payments after it."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from lending.core.compiled import CompiledQuery
from servicing.models import AllocationLine, LoanAccount, LoanTransaction, Replay, ReplayChange

BUCKET_LABELS = dict(AllocationLine.Bucket.choices)


def replay_for_staff(*, pk: int) -> Replay:
    """One replay with its loan, trigger and changes (each with its transaction): a fixed number of queries."""
    changes = ReplayChange.objects.select_related("transaction").order_by("transaction__effective_date", "id")
    return get_object_or_404(
        Replay.objects.select_related("loan", "trigger", "created_by").prefetch_related(
            Prefetch("changes", queryset=changes)
        ),
        pk=pk,
    )


def replay_rows(replay: Replay) -> list[dict[str, Any]]:
    """Per re-applied payment: its date, amount and, per bucket, the amount before and after (changed flagged)."""
    rows = []
    for change in replay.changes.all():
        buckets = [b for b in BUCKET_LABELS if b in change.before or b in change.after]
        rows.append(
            {
                "transaction": change.transaction,
                "changed": change.changed,
                "buckets": [
                    (
                        BUCKET_LABELS[b],
                        change.before.get(b, "0.00"),
                        change.after.get(b, "0.00"),
                        change.before.get(b) != change.after.get(b),
                    )
                    for b in buckets
                ],
                "old_entry": change.old_entry_id,
                "new_entry": change.new_entry_id,
            }
        )
    return rows


LOAN_REPLAYS = 10
# Read on every visit of the staff loan page: compiled once per process (issue 15, "Load").
_LOAN_REPLAYS = CompiledQuery(
    lambda loan_id: Replay.objects.filter(loan_id=loan_id).select_related("trigger").order_by("-id")[:LOAN_REPLAYS],
    loan_id=int,
)


def loan_replays(loan: LoanAccount) -> list[Replay]:
    """The loan's latest ``LOAN_REPLAYS`` replays, newest first, with their triggers."""
    return _LOAN_REPLAYS.fetch(loan_id=loan.pk)


def replay_triggered_by(txn: LoanTransaction) -> Replay | None:
    """The replay a backdated payment or a reversal caused, if it caused one."""
    return Replay.objects.filter(trigger=txn).only("pk").first()
