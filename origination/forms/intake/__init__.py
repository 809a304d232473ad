"""Intake forms: the account and product choice, and one form (or formset) per application section.

Forms validate and shape input; the services in origination.services.intake save it. Modules: ``fields``
(choices, validators), ``start`` (step 0), ``sections`` (one form per section) and ``registry`` (``SECTIONS``
ties each section's form to its service). Callers import from this package.
"""

from origination.forms.intake.fields import ESIGN_DISCLOSURE, US_STATES, date_field, money_field
from origination.forms.intake.registry import SECTIONS, SECTIONS_BY_SLUG, Section, apply_service_errors, sections_for
from origination.forms.intake.sections import (
    AssetForm,
    BorrowerForm,
    CoBorrowerForm,
    DeclarationsForm,
    EConsentForm,
    EmploymentForm,
    LiabilityForm,
    LoanRequestForm,
    PropertyForm,
)
from origination.forms.intake.start import AccountStartForm, StaffStartForm, StartForm

__all__ = [
    "ESIGN_DISCLOSURE",
    "SECTIONS",
    "SECTIONS_BY_SLUG",
    "US_STATES",
    "AccountStartForm",
    "AssetForm",
    "BorrowerForm",
    "CoBorrowerForm",
    "DeclarationsForm",
    "EConsentForm",
    "EmploymentForm",
    "LiabilityForm",
    "LoanRequestForm",
    "PropertyForm",
    "Section",
    "StaffStartForm",
    "StartForm",
    "apply_service_errors",
    "date_field",
    "money_field",
    "sections_for",
]
