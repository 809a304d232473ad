from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(name="crm.contact_request_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def contact_request_notify(payload: dict) -> None:
    body = (
        f"Name: {payload['name']}\nEmail: {payload['email']}\nPhone: {payload.get('phone') or '-'}\n\n"
        f"{payload['message']}\n"
    )
    send_mail(
        # One line whatever the payload holds: a line break in a subject is header injection.
        subject=f"Contact request from {' '.join(payload['name'].split())}",
        message=body,
        from_email=None,
        recipient_list=[settings.LENDING_CONTACT_EMAIL],
    )
