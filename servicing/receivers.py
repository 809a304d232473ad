"""Servicing's listeners to origination events. Thin: each calls a service."""

import logging

from django.dispatch import receiver

from origination.signals import loan_funded
from servicing.services.onboarding import loan_onboard

logger = logging.getLogger(__name__)


@receiver(loan_funded, dispatch_uid="servicing.board_funded_loan")
def _board_funded_loan(sender, application, actor, **kwargs):
    # Sent on commit: the funding stands whatever happens here. A failure is logged, not raised into the closer's
    # request, and `manage.py ledger_verify` lists funded applications still without a loan account.
    try:
        loan_onboard(application=application, actor=actor)
    except Exception:
        logger.exception("Boarding funded application %s failed; it has no loan account yet", application.pk)
