"""The public /contact/ form: a rate limit per address, then the enquiry becomes a lead."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from crm import tasks
from crm.models import ConsentSource, Lead, LeadSource
from crm.services.contacts import ContactData, split_name
from crm.services.leads import LeadInput, lead_capture

WEBSITE_SOURCE = "website"


class RateLimited(Exception):
    """Too many submissions from one address: nothing was saved."""


def contact_rate_check(*, ip: str) -> None:
    """Count a submission from ``ip`` and refuse it past CRM_CONTACT_RATE (count, seconds) in a fixed window.
    Django's cache holds the counter, so every web process shares it (Redis in production)."""
    limit, window = settings.CRM_CONTACT_RATE
    key = f"crm:contact-rate:{ip or 'unknown'}"
    cache.add(key, 0, timeout=window)  # starts the window only if none is running
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited


def website_source() -> LeadSource:
    source, _ = LeadSource.objects.get_or_create(code=WEBSITE_SOURCE, defaults={"name": "Website contact form"})
    return source


@transaction.atomic
def contact_request_submit(
    *, name: str, email: str, phone: str, message: str, consent: bool, campaign_code: str = ""
) -> Lead:
    """Store the enquiry as a lead (consent recorded), and tell its officer once it commits."""
    first, last = split_name(name)
    captured = lead_capture(
        actor=None,
        data=LeadInput(
            contact=ContactData(first_name=first, last_name=last, email=email, phone=phone),
            source=website_source(),
            consent_source=ConsentSource.CONTACT_FORM,
            consent=consent,
            message=message,
            campaign_code=campaign_code,
        ),
    )
    lead_id = captured.lead.pk
    transaction.on_commit(lambda: tasks.lead_notify_officer.delay(lead_id))
    return captured.lead
