"""Assignment forms: a manager gives an application to another loan officer."""

from __future__ import annotations

from django import forms

from lending.core.models import User
from origination.services.assignment import active_loan_officers


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.email


class LoanOfficerForm(forms.Form):
    loan_officer = OfficerChoiceField(queryset=User.objects.none(), label="Loan officer", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per form, not at import: the role's members are read when the page is (an import-time read would
        # freeze them, and fail before the first migration).
        self.fields["loan_officer"].queryset = active_loan_officers()
