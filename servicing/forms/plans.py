"""Plan forms: a modification's terms, a repayment plan's months, a forbearance. They parse the input; the
services (servicing.services.plans, modification) hold the rules and say what is refused."""

from __future__ import annotations

from decimal import Decimal

from django import forms


class ModificationForm(forms.Form):
    new_rate = forms.DecimalField(
        label="New rate (% a year)", max_digits=7, decimal_places=4, min_value=Decimal("0"), max_value=Decimal("30")
    )
    term_periods = forms.IntegerField(label="Installments", min_value=1, max_value=1600, help_text="e.g. 480")
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RepaymentPlanForm(forms.Form):
    months = forms.IntegerField(label="Months", min_value=2, max_value=24)


class ForbearanceForm(forms.Form):
    months = forms.IntegerField(label="Months", min_value=1, max_value=12)
    reduced_payment = forms.DecimalField(
        label="Reduced payment (0: suspended)", max_digits=14, decimal_places=2, min_value=Decimal("0")
    )


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)
