"""Audit sign-ins and sign-outs; keep role groups in sync after migrate. Thin: each receiver calls a service."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from lending.core.services import audit_record, roles_sync


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def _audit_login(sender, request, user, **kwargs):
    audit_record(actor=user, verb="user.logged_in", target=user)


@receiver(user_logged_out, dispatch_uid="core.audit_logout")
def _audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, verb="user.logged_out", target=user)


@receiver(post_migrate, dispatch_uid="core.roles_sync")
def _sync_roles(sender, app_config, **kwargs):
    # Runs after each app's migrations, once that app's permissions exist; idempotent and cheap.
    roles_sync()
