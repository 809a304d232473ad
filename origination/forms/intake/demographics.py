"""The demographic information section (HMDA, 12 CFR 1003 Appendix B; Reg B 1002.13): ethnicity, race and sex of
each borrower, each with "I do not wish to provide this information". Staff use the same questions on the
application's HMDA data page (origination.forms.hmda), with what they collected by visual observation or surname."""

from __future__ import annotations

from django import forms

from origination.models import Borrower
from origination.models.hmda import Ethnicity, Race, Sex

DECLINE_LABEL = "I do not wish to provide this information"
CATEGORIES = (("ethnicity", "Ethnicity", Ethnicity), ("race", "Race", Race), ("sex", "Sex", Sex))
MAX_CODES = 5  # the file has five fields per category
# Appendix B: what a lender may note by visual observation or surname is the aggregate categories only.
OBSERVABLE = {"ethnicity": {"1", "2"}, "race": {"1", "2", "3", "4", "5"}, "sex": {"1", "2"}}
OBSERVED_LABEL = "{title} collected on the basis of visual observation or surname"


def borrower_prefix(borrower: Borrower) -> str:
    return f"b{borrower.pk}"


class DemographicsForm(forms.Form):
    """Per borrower and category: the designations chosen, or the decline box (one or the other). With
    ``observation`` (staff), a box per category for collection by visual observation or surname, and a borrower
    left wholly blank is "not collected yet" rather than an error."""

    def __init__(self, *args, borrowers: list[Borrower], observation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.borrowers = borrowers
        self.observation = observation
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
                if observation:
                    self.fields[f"{key}_observed"] = forms.BooleanField(
                        label=OBSERVED_LABEL.format(title=title), required=False
                    )

    def _blank(self, borrower: Borrower) -> bool:
        prefix = borrower_prefix(borrower)
        return not any(
            self.cleaned_data.get(f"{prefix}_{name}{suffix}")
            for name, _title, _choices in CATEGORIES
            for suffix in ("", "_declined", "_observed")
        )

    def clean(self):
        cleaned = super().clean()
        for borrower in self.borrowers:
            if self.observation and self._blank(borrower):
                continue
            for name, title, _choices in CATEGORIES:
                self._check(f"{borrower_prefix(borrower)}_{name}", name, title.lower())
        return cleaned

    def _check(self, key: str, name: str, title: str) -> None:
        chosen, declined = self.cleaned_data.get(key) or [], self.cleaned_data.get(f"{key}_declined")
        observed = self.cleaned_data.get(f"{key}_observed")
        if chosen and declined:
            self.add_error(key, f'Choose {title} designations or "{DECLINE_LABEL}", not both.')
        elif not chosen and not declined:
            self.add_error(key, f'Choose at least one designation, or "{DECLINE_LABEL}".')
        elif len(chosen) > MAX_CODES:
            self.add_error(key, f"Choose at most {MAX_CODES} designations.")
        elif observed and (declined or not set(chosen) <= OBSERVABLE[name] or (name == "sex" and len(chosen) > 1)):
            labels = dict(next(c for n, _t, c in CATEGORIES if n == name).choices)
            allowed = ", ".join(str(labels[code]) for code in sorted(OBSERVABLE[name]))
            self.add_error(key, f"By visual observation or surname, note one of: {allowed}.")

    def rows(self) -> list[dict]:
        """One dict per borrower answered, for ``intake.demographics_save`` (or ``hmda_details_save``)."""
        rows = []
        for borrower in self.borrowers:
            if self.observation and self._blank(borrower):
                continue
            row: dict = {"borrower": borrower.pk}
            for name, _title, choices in CATEGORIES:
                key = f"{borrower_prefix(borrower)}_{name}"
                order = [value for value, _label in choices.choices]  # the form's order, not the click order
                row[name] = sorted(self.cleaned_data.get(key) or [], key=order.index)
                row[f"{name}_declined"] = bool(self.cleaned_data.get(f"{key}_declined"))
                if self.observation:
                    row[f"{name}_observed"] = bool(self.cleaned_data.get(f"{key}_observed"))
            rows.append(row)
        return rows
