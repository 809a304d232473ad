"""CRM background work: each task fetches by id and calls a service or sends one email."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

_RETRY: dict[str, Any] = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="crm.lead_notify_officer", **_RETRY)
def lead_notify_officer(lead_id: int) -> int:
    """Tell the lead's officer (the team inbox when it has none) that a new enquiry arrived."""
    from crm.models import Lead

    lead = Lead.objects.select_related("contact", "officer", "source").filter(pk=lead_id).first()
    if lead is None:
        return 0
    officer = lead.officer
    to = officer.email if officer is not None and officer.is_active else settings.LENDING_CONTACT_EMAIL
    contact = lead.contact
    body = (
        f"Name: {contact.full_name}\nEmail: {contact.email or '-'}\nPhone: {contact.phone or '-'}\n"
        f"Source: {lead.source.name}\n\n{lead.message}\n\n"
        f"Open the lead: {settings.LENDING_SITE_URL.rstrip('/')}/staff/crm/leads/{lead.pk}/\n"
    )
    # One line whatever the name holds: a line break in a subject is header injection.
    return send_mail(
        subject=f"New lead: {' '.join(contact.full_name.split())}",
        message=body,
        from_email=None,
        recipient_list=[to],
    )


@shared_task(name="crm.task_reminders", **_RETRY)
def task_reminders() -> int:
    from crm.services.activities import task_reminders_send

    return task_reminders_send(today=timezone.localdate())


@shared_task(name="crm.application_transitioned", **_RETRY)
def application_transitioned(application_id: int, to_status: str) -> None:
    from crm.services import conversion, status_updates

    conversion.lead_on_application_transitioned(application_id=application_id, to_status=to_status)
    status_updates.status_update_record(application_id=application_id, to_status=to_status)


@shared_task(name="crm.loan_funded", **_RETRY)
def loan_funded(application_id: int) -> None:
    from crm.services import conversion

    conversion.lead_on_loan_funded(application_id=application_id)


@shared_task(name="crm.lead_counts_compact")
def lead_counts_compact() -> int:
    """Beat's entry: merge the leads' kept day counts (the board, the dashboard and the pipeline report read them)."""
    from crm.services.lead_counts import lead_counts_compact as compact

    return compact()
