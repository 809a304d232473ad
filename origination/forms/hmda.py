"""Staff's HMDA data of one application: the property's census tract, and each borrower's demographic information
with what was collected by visual observation or surname (an application taken in person, 12 CFR 1003 App. B)."""

from __future__ import annotations

from django import forms

from origination.forms.intake.demographics import DemographicsForm


class HmdaDetailsForm(DemographicsForm):
    census_tract = forms.CharField(
        max_length=11,
        required=False,
        label="Census tract",
        help_text="11 digits: state (2), county (3) and tract (6) FIPS codes, e.g. 17167000100 (Sangamon County, IL).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "###########"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, observation=True, **kwargs)
        self.order_fields(["census_tract"])

    def clean_census_tract(self) -> str:
        return self.cleaned_data["census_tract"].strip()
