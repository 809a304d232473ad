"""Compliance forms: issuing a Loan Estimate or Closing Disclosure, and recording its receipt."""

from __future__ import annotations

from django import forms

from origination.models import Disclosure

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class DisclosureIssueForm(forms.Form):
    issued_on = forms.DateField(label="Issued (delivered or mailed) on", widget=DATE_WIDGET)
    delivery = forms.ChoiceField(choices=Disclosure.Delivery.choices)
    received_on = forms.DateField(
        required=False, widget=DATE_WIDGET, help_text="Blank: presumed 3 business days after mailing or e-mail."
    )

    def clean(self):
        data = super().clean()
        issued, received = data.get("issued_on"), data.get("received_on")
        if issued and received and received < issued:
            self.add_error("received_on", "Receipt cannot be before the issue date.")
        return data


class DisclosureReceiptForm(forms.Form):
    received_on = forms.DateField(label="Received on", widget=DATE_WIDGET)
