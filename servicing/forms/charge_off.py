"""Charge-off and recovery forms (managers); the rules are in servicing.services.charge_off."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms

from servicing.models import LoanTransaction

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class ChargeOffForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Why the loan is uncollectible (kept on the charge-off).")
    confirm = forms.BooleanField(label="I confirm the write-off of the balances shown")


class RecoveryForm(forms.Form):
    """Money received on a charged-off loan. ``idempotency_key`` is made when the form is shown: submitting the
    same form twice posts once."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(widget=DATE_INPUT, label="Received on")
    method = forms.ChoiceField(choices=LoanTransaction.Method.choices)
    reference = forms.CharField(max_length=100, required=False, help_text="Check or trace number.")
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", f"recovery-{uuid.uuid4()}")
        super().__init__(*args, **kwargs)
