"""Closing forms: scheduling the closing and funding the loan."""

from __future__ import annotations

from django import forms

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


class FundingForm(forms.Form):
    funded_on = forms.DateField(label="Funded on", widget=DATE_WIDGET)
    wire_reference = forms.CharField(max_length=64)
