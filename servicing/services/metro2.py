"""Metro 2 files as background jobs: a manager asks for a month's file; a Celery task reads the portfolio, writes the
file and its summary, and keeps both (``Metro2File``). Reading 100,000 loans takes about a minute, so no page
builds the file while someone waits for it.

- ``metro2_file_request``: audited; a double submit finds the file of that month already being made.
- ``metro2_file_build``: the task's work, idempotent (a file not pending is left as it is); a failure is kept on
  the row with its message, never half a file.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import asdict
from datetime import date
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from servicing.metro2.accounts import STATUS_LABELS
from servicing.metro2.file import Metro2Summary
from servicing.models import Metro2File
from servicing.selectors.metro2 import metro2_end, metro2_file_lines

METRO2_ROLES = (roles.MANAGER, roles.ACCOUNTING)


class Metro2Error(ValueError):
    pass


def metro2_file_request(*, actor: User, month: date) -> Metro2File:
    """Ask for the file of ``month`` (its first day); it is made once the request commits."""
    if not roles.has_role(actor, *METRO2_ROLES):
        raise Metro2Error("Only managers and accounting make the Metro 2 file.")
    if month > timezone.localdate():
        raise Metro2Error("That month has not begun.")
    month = month.replace(day=1)
    pending = Metro2File.objects.filter(month=month, status=Metro2File.Status.PENDING).first()
    if pending is not None:
        return pending
    try:
        with transaction.atomic():  # a savepoint: a concurrent double submit meets the one-pending constraint
            made = Metro2File.objects.create(month=month, requested_by=actor)
    except IntegrityError:
        return Metro2File.objects.get(month=month, status=Metro2File.Status.PENDING)
    audit_record(actor=actor, verb="metro2.file_requested", target=made, after={"month": f"{month:%Y-%m}"})
    _build_later(made.pk)
    return made


def _build_later(file_id: int) -> None:
    from servicing import tasks  # tasks import the services: import them here, not at module level

    transaction.on_commit(lambda: tasks.metro2_file_build.delay(file_id))


def summary_json(summary: Metro2Summary) -> dict[str, Any]:
    """What the page shows of a file, kept beside it (whole dollars, as the file has them)."""
    return {
        "end": summary.end.isoformat(),
        "statuses": [
            {"code": code, "label": STATUS_LABELS.get(code, ""), "records": count, "balance": balance}
            for code, count, balance in summary.statuses()
        ],
        "current_balance": summary.current_balance,
        "amount_past_due": summary.amount_past_due,
        "withheld": [
            {
                "loan_id": account.loan_id,
                "account_number": account.account_number,
                "errors": [asdict(error) for error in account.errors],
            }
            for account in summary.withheld
        ],
    }


def metro2_file_build(*, file_id: int) -> Metro2File | None:
    """Make the file of a pending request: stream the records to a temporary file (constant memory), then keep it
    with its checksum and summary. Anything but a pending file is left as it is (a rerun changes nothing)."""
    with transaction.atomic():
        made = Metro2File.objects.select_for_update().filter(pk=file_id).first()
        if made is None or made.status != Metro2File.Status.PENDING:
            return made
        summary = Metro2Summary(end=metro2_end(made.month))
        digest = hashlib.sha256()
        try:
            with tempfile.TemporaryFile() as handle:
                for line in metro2_file_lines(month=made.month, summary=summary):
                    data = line.encode("ascii")
                    digest.update(data)
                    handle.write(data)
                handle.seek(0)
                made.file.save(f"metro2_{made.month:%Y_%m}.txt", File(handle), save=False)
        except Exception as exc:
            return _failed(made, exc)
        made.end = summary.end
        made.status = Metro2File.Status.READY
        made.finished_at = timezone.now()
        made.sha256 = digest.hexdigest()
        made.base_records = summary.base_records
        made.withheld_count = summary.withheld_count
        made.summary = summary_json(summary)
        made.save()
        audit_record(
            actor=None,
            verb="metro2.file_made",
            target=made,
            after={"month": f"{made.month:%Y-%m}", "records": made.base_records, "withheld": made.withheld_count},
        )
    return made


def _failed(made: Metro2File, exc: Exception) -> Metro2File:
    made.status = Metro2File.Status.FAILED
    made.finished_at = timezone.now()
    made.error = f"{type(exc).__name__}: {exc}"[:2000]
    made.save(update_fields=["status", "finished_at", "error"])
    audit_record(actor=None, verb="metro2.file_failed", target=made, after={"error": made.error})
    return made
