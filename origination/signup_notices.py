"""The two emails of an /apply/ sign-up (sent by origination.tasks once the sign-up commits)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from lending.core.models import User
from origination.models import Application


def _site_url(path: str) -> str:
    return f"{settings.LENDING_SITE_URL.rstrip('/')}{path}"


def _sign_in_to_apply_url() -> str:
    return _site_url(f"{reverse('login')}?next={reverse('apply')}")


def account_opened_notify(*, application_id: int) -> int:
    """Tell a new applicant their account and draft application are ready, and where to sign in to go on."""
    application = Application.objects.select_related("applicant").filter(pk=application_id).first()
    if application is None or application.applicant is None or not application.applicant.is_active:
        return 0
    body = render_to_string(
        "email/origination/account_opened.txt", {"application": application, "url": _sign_in_to_apply_url()}
    )
    return send_mail(
        subject=f"Your application {application.number} is saved",
        message=body,
        from_email=None,
        recipient_list=[application.applicant.email],
    )


def signup_with_existing_email_notify(*, user_id: int) -> int:
    """Tell an account's owner that someone tried to open another account with their email."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    body = render_to_string(
        "email/origination/signup_with_existing_email.txt",
        {"url": _sign_in_to_apply_url(), "reset_url": _site_url(reverse("password_reset"))},
    )
    return send_mail(
        subject="Someone tried to open an account with your email",
        message=body,
        from_email=None,
        recipient_list=[user.email],
    )
