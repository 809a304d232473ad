"""Firing workflow transitions: permission, guards, optimistic concurrency, log, audit, signal on commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, Transition, TransitionNotAllowed

from lending.core.models import User
from lending.core.services import audit_record
from origination import workflow
from origination.models import Application, ApplicationStay, TransitionLog
from origination.signals import application_transitioned

TransitionHook = Callable[[Application, User], None]  # (application, actor)

# Whoever takes an application through these steps becomes its processor / underwriter / closer, if it has none.
ASSIGN_ACTOR_AS = {
    "start_processing": "processor",
    "approve": "underwriter",
    "approve_with_conditions": "underwriter",
    "suspend": "underwriter",
    "deny": "underwriter",
    "start_closing": "closer",
    "close": "closer",
    "fund": "closer",
}
WORKFLOW_FIELDS = ["status", "status_changed_at", "submitted_at", "decided_at", "funded_at", "updated_at"]


class TransitionBlocked(Exception):
    """The transition exists but cannot fire now; ``reasons`` says which guards block it."""

    def __init__(self, message: str, reasons: tuple[str, ...] = ()):
        super().__init__(message)
        self.reasons = reasons

    def explained(self) -> str:
        """The message with what blocks it, for people: "Approve is blocked: 1 prior-to-approval condition is
        open." (each reason says what is missing, so it reads the right way round)."""
        message = str(self)
        if not self.reasons:
            return message
        return f"{message.rstrip('.')}: {'; '.join(self.reasons)}."


class StaleApplication(Exception):
    """Someone else moved the application first (optimistic concurrency)."""


# Hooks other origination modules register to run inside the transition's transaction, before the guards
# (e.g. recording a decision). Each takes (application, actor); they roll back when the transition is blocked.
BEFORE_TRANSITION_HOOKS: dict[str, list[TransitionHook]] = {}
# Hooks that refresh stored results the guards read (compliance checks). They run before the transition's own
# transaction, so a blocked transition still leaves the fresh results on the page that explains the block.
REFRESH_BEFORE_TRANSITION_HOOKS: dict[str, list[TransitionHook]] = {}


def application_transition(
    *, application: Application, name: str, actor: User, note: str = "", expected_status: str | None = None
) -> Application:
    """Fire transition ``name`` as ``actor``. Raises PermissionDenied, TransitionBlocked or StaleApplication.

    ``expected_status`` is the status the user saw on the page; if the application moved since, the user
    acted on stale information and nothing happens.
    """
    if name not in workflow.TRANSITION_LABELS:
        raise TransitionBlocked(f"Unknown action {name!r}.")
    if name in workflow.NOTE_REQUIRED and not note.strip():
        raise TransitionBlocked(f"{workflow.TRANSITION_LABELS[name]} needs a reason in the note.")
    if expected_status is not None and application.status != expected_status:
        raise StaleApplication(_stale_message(application))
    method = getattr(application, name)
    fsm_transition = _transition_from_current(application, name)
    if fsm_transition is None:
        raise TransitionBlocked(
            f"{workflow.TRANSITION_LABELS[name]} is not possible from {application.get_status_display()}."
        )
    if not fsm_transition.has_perm(application, actor):
        raise PermissionDenied(f"Your role may not {workflow.TRANSITION_LABELS[name].lower()}.")
    for refresh in REFRESH_BEFORE_TRANSITION_HOOKS.get(name, ()):
        refresh(application, actor)
    try:
        with transaction.atomic():
            for hook in BEFORE_TRANSITION_HOOKS.get(name, ()):
                hook(application, actor)
            blocked = workflow.blocked_reasons(fsm_transition.conditions, application)
            if blocked:
                raise TransitionBlocked(f"{workflow.TRANSITION_LABELS[name]} is blocked.", blocked)
            from_status, entered_at = application.status, application.status_changed_at
            method()
            application.status_changed_at = timezone.now()
            update_fields = [*WORKFLOW_FIELDS, *_assign_actor(application, name, actor)]
            # Only the workflow's own fields: the caller's instance may be stale on others (dates set elsewhere).
            # ConcurrentTransitionMixin adds "status = from_status" to the UPDATE (optimistic lock).
            application.save(update_fields=update_fields)
            _record(application, name, from_status, actor, note, entered_at)
    except ConcurrentTransition as exc:
        application.refresh_from_db()
        raise StaleApplication(_stale_message(application)) from exc
    except TransitionNotAllowed as exc:
        raise TransitionBlocked(str(exc)) from exc
    return application


def _assign_actor(application: Application, name: str, actor: User) -> list[str]:
    role_field = ASSIGN_ACTOR_AS.get(name)
    if role_field is None or getattr(application, f"{role_field}_id") is not None:
        return []
    setattr(application, role_field, actor)
    return [role_field]


def _transition_from_current(application: Application, name: str) -> Transition | None:
    for fsm_transition in application.get_all_status_transitions():
        if fsm_transition.name == name and fsm_transition.source in (application.status, "*"):
            return fsm_transition
    return None


def _stale_message(application: Application) -> str:
    fresh = Application.objects.only("status").get(pk=application.pk)
    return f"Someone else moved this application to {fresh.get_status_display()} first. Reload to see it."


def _record(
    application: Application, name: str, from_status: str, actor: User, note: str, entered_at: datetime
) -> None:
    step = TransitionLog.objects.create(
        application=application,
        entered_at=entered_at,
        actor=actor,
        transition=name,
        from_status=from_status,
        to_status=application.status,
        note=note,
    )
    stay_record(step)
    audit_record(
        actor=actor,
        verb=f"application.{name}",
        target=application,
        before={"status": from_status},
        after={"status": application.status},
        note=note,
    )
    to_status = application.status
    transaction.on_commit(
        lambda: application_transitioned.send(
            sender=Application,
            application=application,
            transition=name,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
        )
    )


MICROSECOND = timedelta(microseconds=1)


def stay_record(step: TransitionLog) -> ApplicationStay | None:
    """The stay ``step`` ended (none when its start is unknown), in the same transaction as the step: what the
    pipeline report's time in each state reads."""
    if step.entered_at is None:
        return None
    return ApplicationStay.objects.create(
        step=step,
        application_id=step.application_id,
        state=step.from_status,
        length_us=(step.created_at - step.entered_at) // MICROSECOND,
    )
