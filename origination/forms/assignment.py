"""Assignment forms: a manager gives an application to another loan officer."""

from __future__ import annotations

from django import forms

from origination.services.assignment import active_loan_officers


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.email


class LoanOfficerForm(forms.Form):
    loan_officer = OfficerChoiceField(queryset=active_loan_officers(), label="Loan officer", empty_label=None)
