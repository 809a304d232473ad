"""Servicing's listeners: origination events and migrate. Thin: each calls a service."""

import logging

from django.db.models.signals import post_migrate
from django.dispatch import receiver

from origination.signals import loan_funded
from servicing.services.ledger import ledger_chart_seed
from servicing.services.onboarding import loan_onboard

logger = logging.getLogger(__name__)


@receiver(loan_funded, dispatch_uid="servicing.board_funded_loan")
def _board_funded_loan(sender, application, actor, **kwargs):
    # Sent on commit: the funding stands whatever happens here. A failure is logged, not raised into the closer's
    # request; `manage.py ledger_verify` lists funded applications still without a loan account, and
    # `manage.py board_loans` (or the admin's "Funded applications to board") boards them, idempotently.
    try:
        loan_onboard(application=application, actor=actor)
    except Exception:
        logger.exception("Boarding funded application %s failed; it has no loan account yet", application.pk)


@receiver(post_migrate, dispatch_uid="servicing.ledger_chart_seed")
def _seed_chart_of_accounts(sender, app_config, **kwargs):
    # The standard chart is reference data: keep it present after every migrate (and after a test flush,
    # which re-emits post_migrate), so postings never have to create accounts on the fly.
    if app_config.label == "servicing":
        ledger_chart_seed()
