"""Collections forms: the queue's filters, a contact, a promise, the cease-contact toggle and a reassignment. They
parse the input; the services (servicing.services.collections) hold the rules."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms

from lending.finance.delinquency import DPD_BUCKETS
from servicing.models import ContactAttempt

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
STATE_CODE = re.compile(r"^[A-Z]{2}$")
SMALL_WIDGET_CLASSES = {"select": "form-select form-select-sm", "checkbox": "form-check-input"}


class QueueFilterForm(forms.Form):
    bucket = forms.ChoiceField(
        required=False, choices=[("", "Any bucket"), *[(b, f"{b} days") for b in DPD_BUCKETS[1:]]]
    )
    product = forms.ChoiceField(required=False, choices=[("", "Any product")])
    state = forms.CharField(required=False, max_length=2, label="Property state")
    collector = forms.ChoiceField(required=False, choices=[("", "Anyone"), ("none", "Unassigned")])
    next_action_by = forms.DateField(
        required=False, widget=DATE_INPUT, label="Next action by", help_text="Loans whose open promise is due by then."
    )
    include_promised = forms.BooleanField(required=False, label="Include loans with an open promise or plan")

    def __init__(self, *args, products=(), collectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "Any product"), *[(code, name or code) for code, name in products]]
        # Rendered by hand in the queue (crispy's per-field templates cost the page ~20 ms): Bootstrap's classes.
        for field in self.fields.values():
            kind = getattr(field.widget, "input_type", "")
            field.widget.attrs["class"] = SMALL_WIDGET_CLASSES.get(kind, "form-control form-control-sm")
        self.fields["collector"].choices = [
            ("", "Anyone"),
            ("none", "Unassigned"),
            *[(str(user.pk), user.get_full_name() or user.email) for user in collectors],
        ]

    def clean_state(self) -> str:
        state = self.cleaned_data["state"].strip().upper()
        if state and not STATE_CODE.match(state):
            raise forms.ValidationError("Enter a two-letter state code, such as IL.")
        return state


class ContactForm(forms.Form):
    channel = forms.ChoiceField(choices=ContactAttempt.Channel.choices)
    outcome = forms.ChoiceField(choices=ContactAttempt.Outcome.choices)
    right_party_contact = forms.BooleanField(required=False, label="Right-party contact")
    at = forms.DateTimeField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Blank: now. Your clock (the servicer's time zone); calls are checked in the borrower's.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class PromiseForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    promised_date = forms.DateField(widget=DATE_INPUT, label="Promised by")


class CeaseContactForm(forms.Form):
    action = forms.ChoiceField(choices=[("set", "Set"), ("clear", "Clear")], widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=255)


class ReassignForm(forms.Form):
    collector = forms.ChoiceField(required=False, label="Collector")

    def __init__(self, *args, collectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].choices = [
            ("", "Unassigned"),
            *[(str(user.pk), user.get_full_name() or user.email) for user in collectors],
        ]


class AssignForm(forms.Form):
    bucket = forms.ChoiceField(
        required=False, choices=[("", "Every bucket"), *[(b, f"{b} days") for b in DPD_BUCKETS[1:]]]
    )
