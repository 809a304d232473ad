"""Celery tasks of campaigns and past-client follow-ups (imported by crm.apps so every worker registers them).

Each fetches by id (or works from today's date) and calls a service. The beat schedule names them in settings.
"""

from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

_RETRY: dict[str, Any] = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="crm.campaigns_dispatch", **_RETRY)
def campaigns_dispatch() -> int:
    """Enroll by the rules, claim every due step, and fan the sends out to chunk tasks once the claim commits."""
    from crm.services import campaign_sending, campaigns

    now = timezone.now()
    campaigns.campaigns_enroll_by_rules(now=now)
    send_ids = campaign_sending.campaign_sends_claim(now=now)
    for chunk in campaign_sending.chunks(send_ids):
        transaction.on_commit(partial(campaign_sends_deliver.delay, chunk))
    return len(send_ids)


@shared_task(name="crm.campaign_sends_deliver", **_RETRY)
def campaign_sends_deliver(send_ids: list[int]) -> int:
    from crm.services.campaign_sending import campaign_sends_deliver as deliver

    return deliver(send_ids=send_ids, now=timezone.now())


@shared_task(name="crm.past_client_from_funding", **_RETRY)
def past_client_from_funding(application_id: int) -> None:
    from crm.services.past_clients import past_client_from_funding as make

    make(application_id=application_id)


@shared_task(name="crm.past_client_paid_off", **_RETRY)
def past_client_paid_off(loan_id: int) -> None:
    from crm.services.past_clients import past_client_paid_off as follow_up

    follow_up(loan_id=loan_id, today=timezone.localdate())


@shared_task(name="crm.past_client_follow_ups", **_RETRY)
def past_client_follow_ups() -> dict[str, int]:
    """The day's anniversary check-ins and refinance alerts."""
    from crm.services import past_clients

    today = timezone.localdate()
    return {
        "anniversaries": past_clients.anniversary_check_ins(today=today),
        "refinance_alerts": past_clients.refinance_alerts(today=today),
    }
