"""Communication: one message thread per application, internal notes, staff tasks, and email notifications.

Internal notes are staff-only: borrowers can neither post nor read them, and no email is ever sent for one.
Emails are sent by Celery tasks (origination.tasks) enqueued on commit; the tasks call the *_notify functions
of origination.notifications (outside services, so services -> tasks -> notifications has no circle).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import Task as CeleryTask
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.roles import RequestUser
from lending.core.services import audit_record
from origination import selectors
from origination.models import Application, Message, Task
from origination.tasks import notify_new_message

MESSAGE_MAX_CHARS = 10_000
TASK_TITLE_MAX_CHARS = 200
# The staff who share the thread with the borrower (whoever is assigned on the application).


class CommunicationError(Exception):
    """A message or task action that cannot happen as asked; the message says why, for people."""


def _is_applicant(user: RequestUser, application: Application) -> bool:
    return roles.is_borrower(user) and application.applicant_id == user.pk


def _enqueue(task: CeleryTask[..., Any], *args: Any) -> None:
    transaction.on_commit(lambda: task.delay(*args))


# --- writes ---------------------------------------------------------------------------------------------


@transaction.atomic
def message_post(*, actor: User, application: Application, body: str, is_internal: bool = False) -> Message:
    """Post to the application's thread. Borrowers post only on their own application and never internally."""
    borrower = _is_applicant(actor, application)
    if not borrower and not selectors.can_work_applications(actor):
        raise PermissionDenied("You may not post on this application.")
    if borrower and is_internal:
        raise PermissionDenied("Internal notes are for staff.")
    body = (body or "").strip()
    if not body:
        raise CommunicationError("Write a message first.")
    if len(body) > MESSAGE_MAX_CHARS:
        raise CommunicationError(f"Keep a message under {MESSAGE_MAX_CHARS:,} characters.")
    message = Message.objects.create(application=application, author=actor, body=body, is_internal=is_internal)
    audit_record(
        actor=actor,
        verb="message.posted",
        target=application,
        after={"message": message.pk, "is_internal": is_internal, "from_borrower": borrower},
    )
    if not is_internal:
        _enqueue(notify_new_message, message.pk)
    return message


def _require_staff(actor: User | None) -> None:
    if not selectors.can_work_applications(actor):
        raise PermissionDenied("Tasks are for origination staff.")


@transaction.atomic
def task_create(*, actor: User, application: Application, title: str, assignee: User, due_on: date | None) -> Task:
    """Give someone on the origination staff a to-do on this application."""
    _require_staff(actor)
    title = (title or "").strip()
    if not title:
        raise CommunicationError("A task needs a title.")
    if len(title) > TASK_TITLE_MAX_CHARS:
        raise CommunicationError(f"Keep the title under {TASK_TITLE_MAX_CHARS} characters.")
    if assignee is None or not assignee.is_active or not selectors.can_work_applications(assignee):
        raise CommunicationError("Tasks can only be assigned to active origination staff.")
    task = Task.objects.create(application=application, title=title, assignee=assignee, due_on=due_on, created_by=actor)
    audit_record(
        actor=actor,
        verb="task.created",
        target=task,
        after={"application": application.pk, "title": title, "assignee": assignee.email, "due_on": due_on},
    )
    return task


@transaction.atomic
def task_complete(*, actor: User, task: Task) -> Task:
    """Mark a task done (any origination staff member may; the audit says who)."""
    _require_staff(actor)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.done_at is not None:
        raise CommunicationError(f"“{task.title}” is already done.")
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    audit_record(
        actor=actor, verb="task.completed", target=task, before={"done_at": None}, after={"done_at": task.done_at}
    )
    return task
