"""Charge-off and recovery on a loan's collections page (managers only): POST a form, redirect back on success,
re-render the page with the reason (400) when refused."""

from __future__ import annotations

from lending.core import roles
from servicing.forms.charge_off import ChargeOffForm, RecoveryForm
from servicing.models import LoanAccount
from servicing.services import charge_off as services
from servicing.views.collections import _LoanActionView


class ChargeOffView(_LoanActionView):
    allowed_roles = (roles.MANAGER,)
    form_name = "charge_off_form"

    def make_form(self, request):
        return ChargeOffForm(request.POST)

    def act(self, loan, data):
        already = loan.status == LoanAccount.Status.CHARGED_OFF
        charge_off = services.loan_charge_off(actor=self.request.user, loan=loan, reason=data["reason"])
        if already:
            return f"{loan.loan_number} was already charged off on {charge_off.charged_off_on:%b %d, %Y}."
        return f"{loan.loan_number} charged off: ${charge_off.loss:,} written off."


class RecoveryView(_LoanActionView):
    allowed_roles = (roles.MANAGER,)
    form_name = "recovery_form"

    def make_form(self, request):
        return RecoveryForm(request.POST)

    def act(self, loan, data):
        recovery = services.recovery_post(
            actor=self.request.user,
            loan=loan,
            amount=data["amount"],
            received_on=data["received_on"],
            method=data["method"],
            reference=data["reference"],
            idempotency_key=data["idempotency_key"],
        )
        return f"Recovery of ${recovery.amount:,} received {recovery.received_on:%b %d, %Y} posted."
