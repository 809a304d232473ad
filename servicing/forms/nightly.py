"""The jobs page's one form: which business date to close."""

from django import forms


class NightlyStartForm(forms.Form):
    business_date = forms.DateField(
        label="Business date", widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
    )
