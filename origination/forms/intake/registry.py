"""The section registry: ``SECTIONS`` ties each section's form to its service so the public application and
the staff entry page behave the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from origination.forms.intake.demographics import CATEGORIES, DemographicsForm, borrower_prefix
from origination.forms.intake.sections import (
    AssetForm,
    BaseRowFormSet,
    BorrowerForm,
    CoBorrowerForm,
    DeclarationsForm,
    EConsentForm,
    EmploymentForm,
    EmploymentFormSet,
    LiabilityForm,
    LoanRequestForm,
    PropertyForm,
    _formset,
)
from origination.models import Application, Borrower, Demographics, Employment
from origination.services import intake

# --- the section registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One part of the application: its form, the initial data from what is on file, and the service call."""

    slug: str
    title: str
    is_formset: bool = False
    mortgage_only: bool = False
    borrower_only: bool = False  # e-consent is the applicant's own act

    def build(self, application: Application, data=None):
        builder = getattr(self, f"_build_{self.slug}")
        return builder(application, data)

    def save(self, bound, *, actor, application: Application) -> None:
        saver = getattr(self, f"_save_{self.slug}")
        saver(bound, actor=actor, application=application)

    # builders ---------------------------------------------------------------------------------------------

    def _borrower_initial(self, borrower: Borrower | None) -> dict[str, Any]:
        if borrower is None:
            return {}
        return {name: getattr(borrower, name) for name in intake.BORROWER_FIELDS}

    def _build_borrower(self, application, data):
        borrower = application.borrowers.filter(is_primary=True).defer("ssn").first()
        initial = self._borrower_initial(borrower)
        if borrower is None and application.applicant_id:
            user = application.applicant
            initial = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
        return BorrowerForm(data, initial=initial, ssn_on_file=borrower.ssn_masked if borrower else "")

    def _build_co_borrower(self, application, data):
        borrower = application.borrowers.filter(is_primary=False).defer("ssn").order_by("id").first()
        initial = {**self._borrower_initial(borrower), "has_co_borrower": borrower is not None}
        return CoBorrowerForm(data, initial=initial, ssn_on_file=borrower.ssn_masked if borrower else "")

    def _build_employment(self, application, data):
        borrowers = list(application.borrowers.defer("ssn").order_by("-is_primary", "id"))
        choices = [(b.pk, f"{b}{'' if b.is_primary else ' (co-borrower)'}") for b in borrowers]
        jobs = Employment.objects.filter(borrower__application=application).order_by("-borrower__is_primary", "id")
        rows = [
            {"id": e.pk, "borrower": e.borrower_id, **{name: getattr(e, name) for name in intake.EMPLOYMENT_FIELDS}}
            for e in jobs
        ]
        formset_class = _formset(EmploymentForm, EmploymentFormSet)
        return formset_class(data, initial=rows, prefix="employment", form_kwargs={"borrowers": choices})

    def _build_assets(self, application, data):
        rows = [
            {"id": a.pk, **{name: getattr(a, name) for name in intake.ASSET_FIELDS}}
            for a in application.assets.order_by("id")
        ]
        return _formset(AssetForm, BaseRowFormSet)(data, initial=rows, prefix="assets")

    def _build_liabilities(self, application, data):
        rows = [
            {"id": li.pk, **{name: getattr(li, name) for name in intake.LIABILITY_FIELDS}}
            for li in application.liabilities.order_by("id")
        ]
        return _formset(LiabilityForm, BaseRowFormSet)(data, initial=rows, prefix="liabilities")

    def _build_property(self, application, data):
        prop = getattr(application, "subject_property", None)
        initial = {name: getattr(prop, name) for name in intake.PROPERTY_FIELDS} if prop else {}
        return PropertyForm(data, initial=initial, purpose=application.purpose)

    def _build_loan(self, application, data):
        initial = {"purpose": application.purpose, "amount_requested": application.amount_requested}
        return LoanRequestForm(data, initial=initial, product=application.product)

    def _build_declarations(self, application, data):
        answers = application.declarations or {}
        initial = {k: ("yes" if v else "no") if isinstance(v, bool) else v for k, v in answers.items()}
        return DeclarationsForm(data, initial=initial, product=application.product)

    def _build_demographics(self, application, data):
        borrowers = list(application.borrowers.defer("ssn").order_by("-is_primary", "id"))
        on_file = {d.borrower_id: d for d in Demographics.objects.filter(borrower__in=borrowers)}
        initial = {}
        for borrower in borrowers:
            info = on_file.get(borrower.pk)
            for name, _title, _choices in CATEGORIES if info else ():
                initial[f"{borrower_prefix(borrower)}_{name}"] = getattr(info, name)
                initial[f"{borrower_prefix(borrower)}_{name}_declined"] = getattr(info, f"{name}_declined")
        return DemographicsForm(data, initial=initial, borrowers=borrowers)

    def _build_econsent(self, application, data):
        return EConsentForm(data, initial={"consent": application.econsent_at is not None})

    # savers -----------------------------------------------------------------------------------------------

    def _save_borrower(self, form, *, actor, application):
        intake.borrower_save(actor=actor, application=application, data=form.cleaned_data, is_primary=True)

    def _save_co_borrower(self, form, *, actor, application):
        if form.cleaned_data.get("has_co_borrower"):
            intake.borrower_save(actor=actor, application=application, data=form.cleaned_data, is_primary=False)
        else:
            intake.coborrower_remove(actor=actor, application=application)

    def _save_employment(self, formset, *, actor, application):
        intake.employment_save(actor=actor, application=application, rows=formset.rows())

    def _save_assets(self, formset, *, actor, application):
        intake.asset_save(actor=actor, application=application, rows=formset.rows())

    def _save_liabilities(self, formset, *, actor, application):
        intake.liability_save(actor=actor, application=application, rows=formset.rows())

    def _save_property(self, form, *, actor, application):
        intake.property_save(actor=actor, application=application, data=form.cleaned_data)

    def _save_loan(self, form, *, actor, application):
        intake.loan_request_save(actor=actor, application=application, data=form.cleaned_data)

    def _save_declarations(self, form, *, actor, application):
        intake.declarations_save(actor=actor, application=application, data=form.cleaned_data)

    def _save_demographics(self, form, *, actor, application):
        intake.demographics_save(actor=actor, application=application, rows=form.rows())

    def _save_econsent(self, form, *, actor, application):
        intake.econsent_record(actor=actor, application=application, consented=form.cleaned_data["consent"])


SECTIONS = (
    Section("borrower", "Borrower"),
    Section("co_borrower", "Co-borrower"),
    Section("employment", "Employment and income", is_formset=True),
    Section("assets", "Assets", is_formset=True),
    Section("liabilities", "Liabilities", is_formset=True),
    Section("property", "Property", mortgage_only=True),
    Section("loan", "Loan request"),
    Section("declarations", "Declarations"),
    Section("demographics", "Demographic information", mortgage_only=True),
    Section("econsent", "E-consent", borrower_only=True),
)
SECTIONS_BY_SLUG = {s.slug: s for s in SECTIONS}


def sections_for(application: Application, *, staff: bool = False) -> list[Section]:
    """The sections this application has (no property for unsecured products), in form order."""
    mortgage = intake.has_property_step(application.product)
    return [s for s in SECTIONS if (mortgage or not s.mortgage_only) and not (staff and s.borrower_only)]


def apply_service_errors(bound, exc: ValidationError) -> list[str]:
    """Put a service's validation errors on the form's fields where they match; return the rest."""
    leftover: list[str] = []
    if hasattr(exc, "error_dict") and isinstance(bound, forms.Form):
        for name, errors in exc.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            if name in bound.fields:
                bound.add_error(name, messages)
            else:
                leftover.extend(messages)
        return leftover
    return list(exc.messages)
