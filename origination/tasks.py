"""Origination background work: notification emails. Each task fetches by id and calls a service.

Callers enqueue with ``transaction.on_commit(lambda: task.delay(id))`` so a rolled-back change never emails.
"""

from smtplib import SMTPException
from typing import Any

from celery import shared_task

from origination import notifications, signup_notices

_RETRY: dict[str, Any] = {"autoretry_for": (SMTPException, OSError), "retry_backoff": True, "max_retries": 5}


@shared_task(name="origination.notify_new_message", **_RETRY)
def notify_new_message(message_id: int) -> int:
    return notifications.message_notify(message_id=message_id)


@shared_task(name="origination.notify_documents_requested", **_RETRY)
def notify_documents_requested(application_id: int) -> int:
    return notifications.documents_requested_notify(application_id=application_id)


@shared_task(name="origination.notify_status_changed", **_RETRY)
def notify_status_changed(application_id: int, to_status: str) -> int:
    return notifications.status_change_notify(application_id=application_id, to_status=to_status)


@shared_task(name="origination.notify_account_opened", **_RETRY)
def notify_account_opened(application_id: int) -> int:
    return signup_notices.account_opened_notify(application_id=application_id)


@shared_task(name="origination.notify_signup_with_existing_email", **_RETRY)
def notify_signup_with_existing_email(user_id: int) -> int:
    return signup_notices.signup_with_existing_email_notify(user_id=user_id)
