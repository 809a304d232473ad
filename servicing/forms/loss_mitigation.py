"""Loss mitigation forms: receiving an application, a document for it, a decision and a foreclosure referral. They
parse the input; the services (servicing.services.loss_mitigation) hold the rules."""

from __future__ import annotations

from django import forms

from servicing.models import LossMitigationApplication, LossMitigationDocument

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class ReceiveForm(forms.Form):
    received_on = forms.DateField(widget=DATE_INPUT, label="Received on")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=LossMitigationDocument.Kind.choices, label="Document")
    file = forms.FileField(label="File (PDF, PNG, JPEG, TIFF or HEIC)")


class ActionForm(forms.Form):
    """A button with nothing to fill in (acknowledge, mark complete)."""


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")], widget=forms.RadioSelect)
    option = forms.ChoiceField(
        required=False, choices=[("", "—"), *LossMitigationApplication.Option.choices], label="Option approved"
    )
    reasons = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Specific reasons for a denial",
    )


class ReferralForm(forms.Form):
    referred_on = forms.DateField(widget=DATE_INPUT, label="Referred on")
    attorney = forms.CharField(max_length=200, label="Attorney or firm")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
