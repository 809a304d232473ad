"""Borrower portal forms: a one-time payment and autopay enrollment. They check types and presence; the ACH
services check the rules (amount ceiling, dates, routing checksum) and their errors land on these fields."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django import forms

from servicing.models import AutopayEnrollment
from servicing.services.ach import MAX_DRAFT_DAYS_BEFORE, MAX_SCHEDULE_DAYS, AchError, BankDetails

BANK_FIELDS = ("account_holder", "routing_number", "account_number", "account_type")


class BankAccountFields(forms.Form):
    account_holder = forms.CharField(label="Name on the account", max_length=120, required=False)
    routing_number = forms.CharField(
        label="Routing number",
        max_length=9,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label="Account number",
        max_length=17,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_type = forms.ChoiceField(
        label="Account type", choices=AutopayEnrollment.AccountType.choices, initial="checking", required=False
    )

    def require_bank_fields(self) -> None:
        for name in BANK_FIELDS:
            if not self.cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, "This field is required.")

    def bank_details(self) -> BankDetails:
        data = self.cleaned_data
        return BankDetails(data["account_holder"], data["routing_number"], data["account_number"], data["account_type"])

    def add_service_error(self, error: AchError) -> None:
        """Put the service's refusal on its field (or on the form when it names none we show)."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class OneTimePaymentForm(BankAccountFields):
    amount = forms.DecimalField(label="Amount", max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    scheduled_date = forms.DateField(label="Payment date", widget=forms.DateInput(attrs={"type": "date"}))
    principal_only = forms.BooleanField(
        label="Apply the whole amount to principal (does not pay the installment due)", required=False
    )
    use_autopay_account = forms.BooleanField(required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    field_order = ("amount", "scheduled_date", "principal_only", "use_autopay_account", *BANK_FIELDS)

    def __init__(self, *args, today: date, autopay: AutopayEnrollment | None = None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        kwargs["initial"].setdefault("scheduled_date", today)
        super().__init__(*args, **kwargs)
        self.autopay = autopay
        self.fields["scheduled_date"].widget.attrs.update(
            min=today.isoformat(), max=(today + timedelta(days=MAX_SCHEDULE_DAYS)).isoformat()
        )
        if autopay is None:
            del self.fields["use_autopay_account"]
        else:
            self.fields["use_autopay_account"].label = f"Use my autopay account ({autopay.account_display})"
            self.fields["use_autopay_account"].initial = True

    def clean(self):
        data = super().clean()
        if not data.get("use_autopay_account"):
            self.require_bank_fields()
        return data

    def bank_details(self) -> BankDetails:
        if self.cleaned_data.get("use_autopay_account") and self.autopay is not None:
            return BankDetails.from_account(self.autopay)
        return super().bank_details()


class AutopayForm(BankAccountFields):
    draft_days_before = forms.TypedChoiceField(
        label="Draft day",
        coerce=int,
        choices=[(0, "On the due date")]
        + [(n, f"{n} days before the due date") for n in range(1, MAX_DRAFT_DAYS_BEFORE + 1)],
        initial=0,
    )
    extra_principal = forms.DecimalField(
        label="Extra principal each month (optional)",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.00"),
        required=False,
    )
    max_draft_amount = forms.DecimalField(
        label="Never draft more than (optional)",
        help_text="If an installment is ever above this amount, it is not drafted and you pay it yourself.",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )

    def clean(self):
        data = super().clean()
        self.require_bank_fields()
        return data


class PaymentNoticeForm(forms.Form):
    """The borrower's "email me when a payment is received" choice for one loan (an unchecked box: off)."""

    notify_payment_received = forms.BooleanField(
        label="Send me a notice each time a payment is received", required=False
    )
