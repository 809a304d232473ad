"""Running the compliance checks: each stored as one ComplianceCheck per code, the run audited, and fresh
results before the transitions whose guards read them."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from origination.models import Application, ComplianceCheck
from origination.services.compliance.context import check_context
from origination.services.compliance.pricing import apr_tolerance, atr_qm, hoepa
from origination.services.compliance.timing import (
    cd_timing,
    le_timing,
    le_waiting_period,
    revised_le_timing,
    til_timing,
)
from origination.services.workflow import REFRESH_BEFORE_TRANSITION_HOOKS

# Run in the order of CHECK_TITLES (the workspace lists them in that order).
CHECKS = (
    ("le_timing", le_timing),
    ("le_waiting_period", le_waiting_period),
    ("revised_le_timing", revised_le_timing),
    ("cd_timing", cd_timing),
    ("til_timing", til_timing),
    ("apr_tolerance", apr_tolerance),
    ("atr_qm", atr_qm),
    ("hoepa", hoepa),
)


@transaction.atomic
def compliance_run(
    *, application: Application, actor: User | None = None, today: date | None = None
) -> list[ComplianceCheck]:
    """Run every check, store one ComplianceCheck per code (insert or update) and audit the run as one event.
    Returns the results in CHECKS order."""
    ctx = check_context(application, today or timezone.localdate())
    previous = dict(application.compliance_checks.values_list("code", "result"))
    now = timezone.now()
    rows = []
    for code, check in CHECKS:
        outcome = check(ctx)
        rows.append(
            ComplianceCheck(
                application=application,
                code=code,
                result=outcome.result,
                explanation=outcome.explanation,
                details=outcome.details,
                run_at=now,
            )
        )
    ComplianceCheck.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["application", "code"],
        update_fields=["result", "explanation", "details", "run_at"],
    )
    audit_record(
        actor=actor,
        verb="compliance.run",
        target=application,
        before=previous,
        after={row.code: row.result for row in rows},
    )
    return rows


def _run_before_transition(application: Application, actor: User) -> None:
    compliance_run(application=application, actor=actor)


# Fresh results before the guards that read them (clear_to_close, close); informational on the earlier steps.
for _name in ("submit", "send_to_underwriting", "clear_to_close", "close"):
    _hooks = REFRESH_BEFORE_TRANSITION_HOOKS.setdefault(_name, [])
    if _run_before_transition not in _hooks:
        _hooks.append(_run_before_transition)
