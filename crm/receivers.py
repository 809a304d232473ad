"""The CRM's listeners to origination's events. Thin: each enqueues a CRM task once the sender's work commits."""

from django.db import transaction
from django.dispatch import receiver

from crm import tasks, tasks_nurture
from origination.signals import application_transitioned, loan_funded
from servicing.signals import loan_paid_off


@receiver(application_transitioned, dispatch_uid="crm.application_transitioned")
def _on_application_transitioned(sender, application, to_status, **kwargs):
    application_id = application.pk
    transaction.on_commit(lambda: tasks.application_transitioned.delay(application_id, to_status))


@receiver(loan_funded, dispatch_uid="crm.loan_funded")
def _on_loan_funded(sender, application, **kwargs):
    application_id = application.pk
    transaction.on_commit(lambda: tasks.loan_funded.delay(application_id))


@receiver(loan_funded, dispatch_uid="crm.past_client_from_funding")
def _on_loan_funded_past_client(sender, application, **kwargs):
    application_id = application.pk
    transaction.on_commit(lambda: tasks_nurture.past_client_from_funding.delay(application_id))


@receiver(loan_paid_off, dispatch_uid="crm.past_client_paid_off")
def _on_loan_paid_off(sender, loan, **kwargs):
    # Servicing sends it on commit already (servicing.signals): enqueue at once, adding no callback of our own.
    tasks_nurture.past_client_paid_off.delay(loan.pk)
