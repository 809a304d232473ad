"""Communication: one message thread per application, internal notes, staff tasks, and email notifications.

Internal notes are staff-only: borrowers can neither post nor read them, and no email is ever sent for one.
Emails are sent by Celery tasks (origination.tasks) enqueued on commit; the tasks call the *_notify functions
below, which fetch fresh rows and send one email per recipient (no recipient sees another's address).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import Task as CeleryTask
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.roles import RequestUser
from lending.core.services import audit_record
from origination import selectors
from origination.models import Application, Document, Message, Status, Task
from origination.selectors.documents import documents_still_needed

MESSAGE_MAX_CHARS = 10_000
TASK_TITLE_MAX_CHARS = 200
# The staff who share the thread with the borrower (whoever is assigned on the application).
TEAM_FIELDS = ("loan_officer", "processor", "underwriter", "closer")


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
    from origination.tasks import notify_new_message

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


# --- notifications (called by origination.tasks) ----------------------------------------------------


def _site_url(path: str) -> str:
    return f"{settings.LENDING_SITE_URL.rstrip('/')}{path}"


def _borrower_email(application: Application) -> str:
    applicant = application.applicant  # None without a query when there is no applicant
    if applicant is not None and applicant.email and applicant.is_active:
        return applicant.email
    primary = application.borrowers.filter(is_primary=True).first()
    return primary.email if primary else ""


def _team_emails(application: Application, *, exclude: User | None = None) -> list[str]:
    emails = []
    for field in TEAM_FIELDS:
        member = getattr(application, field)
        if member is None or not member.is_active or not member.email or member == exclude:
            continue
        if member.email not in emails:
            emails.append(member.email)
    return emails


def _send(*, to: list[str], subject: str, template: str, context: dict[str, Any]) -> int:
    body = render_to_string(template, context)
    return sum(EmailMessage(subject=subject, body=body, to=[address]).send() for address in to)


def _application_for_notice(application_id: int) -> Application | None:
    return selectors.application_queryset().filter(pk=application_id).first()


def message_notify(*, message_id: int) -> int:
    """Email a new thread message: staff messages to the borrower, borrower messages to the assigned team.

    Internal notes send nothing, whatever calls this. Returns the number of emails sent.
    """
    message = Message.objects.select_related("author").filter(pk=message_id).first()
    if message is None or message.is_internal:
        return 0
    application = _application_for_notice(message.application_id)
    if application is None:
        return 0
    context: dict[str, Any] = {"application": application, "message": message}
    if application.applicant_id and message.author_id == application.applicant_id:
        context["url"] = _site_url(reverse("origination:application-detail", args=[application.pk]))
        return _send(
            to=_team_emails(application, exclude=message.author),
            subject=f"{application.number}: new message from the borrower",
            template="email/origination/new_message_staff.txt",
            context=context,
        )
    address = _borrower_email(application)
    if not address:
        return 0
    context["url"] = _site_url(reverse("origination_portal:application", args=[application.pk]))
    return _send(
        to=[address],
        subject=f"Application {application.number}: a new message from your loan team",
        template="email/origination/new_message_borrower.txt",
        context=context,
    )


def documents_requested_notify(*, application_id: int) -> int:
    """Email the borrower the documents still needed (requested, or rejected with the reason)."""
    application = _application_for_notice(application_id)
    if application is None:
        return 0
    address = _borrower_email(application)
    needed = documents_still_needed(
        list(
            Document.objects.filter(application=application, document_type__borrower_provides=True)
            .select_related("document_type")
            .order_by("document_type__name", "pk")
        )
    )
    if not address or not needed:
        return 0
    return _send(
        to=[address],
        subject=f"Application {application.number}: documents we need from you",
        template="email/origination/documents_requested.txt",
        context={
            "application": application,
            "documents": needed,
            "url": _site_url(reverse("origination_portal:application", args=[application.pk])),
        },
    )


def status_change_notify(*, application_id: int, to_status: str) -> int:
    """Tell the borrower their application moved (no reasons in email: they are on the portal and in notices)."""
    application = _application_for_notice(application_id)
    if application is None or application.status != to_status:
        return 0  # moved again since; that transition sends its own email
    address = _borrower_email(application)
    if not address:
        return 0
    return _send(
        to=[address],
        subject=f"Application {application.number}: {Status(to_status).label.lower()}",
        template="email/origination/status_changed.txt",
        context={
            "application": application,
            "status_label": Status(to_status).label,
            "url": _site_url(reverse("origination_portal:application", args=[application.pk])),
        },
    )
