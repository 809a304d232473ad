"""Origination's own listeners to origination events. Thin: each calls a service or enqueues a task."""

from django.db import transaction
from django.dispatch import receiver

from origination.services.documents import documents_request_checklist
from origination.signals import application_transitioned
from origination.tasks import notify_status_changed
from origination.workflow import SUBMITTED


@receiver(application_transitioned, dispatch_uid="origination.documents_checklist_on_submit")
def _request_checklist_on_submit(sender, application, to_status, actor, **kwargs):
    if to_status == SUBMITTED:
        documents_request_checklist(application=application, actor=actor)


@receiver(application_transitioned, dispatch_uid="origination.notify_status_change")
def _notify_status_change(sender, application, to_status, **kwargs):
    application_id = application.pk
    transaction.on_commit(lambda: notify_status_changed.delay(application_id, to_status))
