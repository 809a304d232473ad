"""Closing forms: scheduling the closing, recording the signing and funding the loan."""

from __future__ import annotations

from django import forms

from origination.models import Funding

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ClosingScheduleForm(forms.Form):
    closing_date = forms.DateField(label="Closing (consummation) date", widget=DATE_WIDGET)
    first_payment_date = forms.DateField(widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        closing_on, first = data.get("closing_date"), data.get("first_payment_date")
        if closing_on and first and first <= closing_on:
            self.add_error("first_payment_date", "The first payment must be after the closing date.")
        return data


class ClosingSigningForm(forms.Form):
    signed_on = forms.DateField(label="Signed on", widget=DATE_WIDGET)
    location = forms.CharField(label="Signed at", max_length=200, required=False)
    notary = forms.CharField(label="Notary or settlement agent", max_length=200, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class FundingForm(forms.Form):
    funded_on = forms.DateField(label="Funded on", widget=DATE_WIDGET)
    method = forms.ChoiceField(label="Disbursed by", choices=Funding.Method.choices, initial=Funding.Method.WIRE)
    wire_reference = forms.CharField(
        label="Reference", max_length=64, help_text="Wire confirmation, ACH trace or check number."
    )
