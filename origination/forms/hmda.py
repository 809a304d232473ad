"""Staff's HMDA data of one application: the census tract and, per borrower, what was collected by visual
observation or surname (an application taken in person, 12 CFR 1003 Appendix B)."""

from __future__ import annotations

from django import forms

from origination.models import Borrower
from origination.services.intake.hmda import OBSERVATION_FIELDS

OBSERVATION_LABELS = {
    "ethnicity_observed": "Ethnicity collected on the basis of visual observation or surname",
    "race_observed": "Race collected on the basis of visual observation or surname",
    "sex_observed": "Sex collected on the basis of visual observation or surname",
}


class HmdaDetailsForm(forms.Form):
    census_tract = forms.CharField(
        max_length=11,
        required=False,
        label="Census tract",
        help_text="11 digits: state (2), county (3) and tract (6) FIPS codes, e.g. 17167000100 (Sangamon County, IL).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "###########"}),
    )

    def __init__(self, *args, borrowers: list[Borrower], **kwargs):
        super().__init__(*args, **kwargs)
        self.borrowers = borrowers
        for borrower in borrowers:
            for name in OBSERVATION_FIELDS:
                self.fields[f"b{borrower.pk}_{name}"] = forms.BooleanField(
                    required=False, label=f"{borrower}: {OBSERVATION_LABELS[name]}"
                )

    def clean_census_tract(self) -> str:
        return self.cleaned_data["census_tract"].strip()

    def observed(self) -> dict[int, dict[str, bool]]:
        return {
            b.pk: {name: bool(self.cleaned_data.get(f"b{b.pk}_{name}")) for name in OBSERVATION_FIELDS}
            for b in self.borrowers
        }
