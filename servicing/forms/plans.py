"""Plan forms: a modification's terms, a repayment plan's months, a forbearance. They parse the input; the
services (servicing.services.plans, modification) hold the rules and say what is refused."""

from __future__ import annotations

from decimal import Decimal

from django import forms


class ModificationForm(forms.Form):
    new_rate = forms.DecimalField(
        label="New rate (% a year)", max_digits=7, decimal_places=4, min_value=Decimal("0"), max_value=Decimal("30")
    )
    term_periods = forms.IntegerField(
        label="Installments", min_value=1, max_value=1600, required=False, help_text="e.g. 480; or a maturity"
    )
    maturity_date = forms.DateField(
        label="Or maturity date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("term_periods") is None and data.get("maturity_date") is None and not self.errors:
            self.add_error("term_periods", "Give the number of installments or the maturity date.")
        return data


class RepaymentPlanForm(forms.Form):
    months = forms.IntegerField(label="Months", min_value=2, max_value=24)


class ForbearanceForm(forms.Form):
    months = forms.IntegerField(label="Months", min_value=1, max_value=12)
    reduced_payment = forms.DecimalField(
        label="Reduced payment (0: suspended)", max_digits=14, decimal_places=2, min_value=Decimal("0")
    )


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)
