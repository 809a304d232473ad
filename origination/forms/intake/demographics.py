"""The demographic information section (HMDA, 12 CFR 1003 Appendix B; Reg B 1002.13): ethnicity, race and sex of
each borrower, each with "I do not wish to provide this information". Staff record the census tract and what
they collected by visual observation or surname on the application's HMDA page (origination.forms.hmda)."""

from __future__ import annotations

from django import forms

from origination.models import Borrower
from origination.models.hmda import Ethnicity, Race, Sex

DECLINE_LABEL = "I do not wish to provide this information"
CATEGORIES = (("ethnicity", "Ethnicity", Ethnicity), ("race", "Race", Race), ("sex", "Sex", Sex))
MAX_CODES = 5  # the file has five fields per category


def borrower_prefix(borrower: Borrower) -> str:
    return f"b{borrower.pk}"


class DemographicsForm(forms.Form):
    """Per borrower and category: the designations chosen, or the decline box (one or the other)."""

    def __init__(self, *args, borrowers: list[Borrower], **kwargs):
        super().__init__(*args, **kwargs)
        self.borrowers = borrowers
        for borrower in borrowers:
            who = f"{borrower}{'' if borrower.is_primary else ' (co-borrower)'}"
            for name, title, choices in CATEGORIES:
                key = f"{borrower_prefix(borrower)}_{name}"
                self.fields[key] = forms.MultipleChoiceField(
                    label=f"{who}: {title}",
                    choices=choices.choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
                self.fields[f"{key}_declined"] = forms.BooleanField(label=DECLINE_LABEL, required=False)

    def clean(self):
        cleaned = super().clean()
        for borrower in self.borrowers:
            for name, title, _choices in CATEGORIES:
                key = f"{borrower_prefix(borrower)}_{name}"
                chosen, declined = cleaned.get(key) or [], cleaned.get(f"{key}_declined")
                if chosen and declined:
                    self.add_error(key, f'Choose {title.lower()} designations or "{DECLINE_LABEL}", not both.')
                elif not chosen and not declined:
                    self.add_error(key, f'Choose at least one designation, or "{DECLINE_LABEL}".')
                elif len(chosen) > MAX_CODES:
                    self.add_error(key, f"Choose at most {MAX_CODES} designations.")
        return cleaned

    def rows(self) -> list[dict]:
        """One dict per borrower for ``intake.demographics_save``."""
        rows = []
        for borrower in self.borrowers:
            row: dict = {"borrower": borrower.pk}
            for name, _title, choices in CATEGORIES:
                key = f"{borrower_prefix(borrower)}_{name}"
                order = [value for value, _label in choices.choices]  # the form's order, not the click order
                row[name] = sorted(self.cleaned_data.get(key) or [], key=order.index)
                row[f"{name}_declined"] = bool(self.cleaned_data.get(f"{key}_declined"))
            rows.append(row)
        return rows
