"""CRM writes."""

from __future__ import annotations

from django.db import transaction

from crm import tasks


def contact_request_submit(*, name: str, email: str, phone: str, message: str) -> None:
    """Pass a public contact request to the loan officers' inbox, by email, once the request commits."""
    payload = {"name": name, "email": email, "phone": phone, "message": message}
    transaction.on_commit(lambda: tasks.contact_request_notify.delay(payload))
