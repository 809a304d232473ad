"""Email notifications about an application, sent by the Celery tasks of origination.tasks.

Each function fetches fresh rows by id and sends one email per recipient (no recipient sees another's address).
Nothing here enqueues tasks, so origination.tasks may import it without an import circle.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from lending.core.models import User
from origination import selectors
from origination.models import Application, Document, Message, Status
from origination.selectors.documents import documents_still_needed

TEAM_FIELDS = ("loan_officer", "processor", "underwriter", "closer")


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
