"""Audit sign-ins and sign-outs. Thin: each receiver calls the audit service."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from lending.core.services import audit_record


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def _audit_login(sender, request, user, **kwargs):
    audit_record(actor=user, verb="user.logged_in", target=user)


@receiver(user_logged_out, dispatch_uid="core.audit_logout")
def _audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, verb="user.logged_out", target=user)
