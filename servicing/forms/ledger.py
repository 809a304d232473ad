from django import forms


class TrialBalanceForm(forms.Form):
    as_of = forms.DateField(
        required=False,
        label="As of",
        help_text="Entries effective on or before this date; blank for all.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
