"""Intake: starting an application and saving each of its sections, for the borrower online and for staff.

One module per part: ``access`` (who may change what, the row lock), ``start``, ``sections`` (one save per
section) and ``trid`` (the application date and the online submission). The rules they share with selectors
and forms live in origination.application_rules. Callers import from this package.
"""

from origination.application_rules import (
    CITIZENSHIP_CHOICES,
    DECLARATION_QUESTIONS,
    PURPOSES_BY_KIND,
    TRID_ITEM_LABELS,
    declaration_questions,
    has_property_step,
    purposes_for,
    ssn_mask,
    ssn_normalise,
    trid_missing_from,
)
from origination.services.intake.access import (
    ASSET_FIELDS,
    BORROWER_EDITABLE,
    BORROWER_FIELDS,
    ECONSENT_REQUIRED_LABEL,
    EMPLOYMENT_FIELDS,
    ESIGN_DISCLOSURE_VERSION,
    INTAKE_STAFF_ROLES,
    LIABILITY_FIELDS,
    PROPERTY_FIELDS,
    STAFF_EDITABLE,
    IntakeClosed,
    can_edit,
    editable_statuses,
)
from origination.services.intake.hmda import census_tract_problem, demographics_save, hmda_details_save
from origination.services.intake.sections import (
    asset_save,
    borrower_save,
    coborrower_remove,
    declarations_save,
    econsent_record,
    employment_save,
    intake_step_save,
    liability_save,
    loan_request_save,
    property_save,
)
from origination.services.intake.start import application_start
from origination.services.intake.trid import (
    application_date_stamp_if_complete,
    application_submit_online,
    trid_items_missing,
)

__all__ = [
    "ASSET_FIELDS",
    "BORROWER_EDITABLE",
    "BORROWER_FIELDS",
    "CITIZENSHIP_CHOICES",
    "DECLARATION_QUESTIONS",
    "ECONSENT_REQUIRED_LABEL",
    "EMPLOYMENT_FIELDS",
    "ESIGN_DISCLOSURE_VERSION",
    "INTAKE_STAFF_ROLES",
    "LIABILITY_FIELDS",
    "PROPERTY_FIELDS",
    "PURPOSES_BY_KIND",
    "STAFF_EDITABLE",
    "TRID_ITEM_LABELS",
    "IntakeClosed",
    "application_date_stamp_if_complete",
    "application_start",
    "application_submit_online",
    "asset_save",
    "borrower_save",
    "can_edit",
    "census_tract_problem",
    "coborrower_remove",
    "declaration_questions",
    "declarations_save",
    "demographics_save",
    "econsent_record",
    "editable_statuses",
    "employment_save",
    "has_property_step",
    "hmda_details_save",
    "intake_step_save",
    "liability_save",
    "loan_request_save",
    "property_save",
    "purposes_for",
    "ssn_mask",
    "ssn_normalise",
    "trid_items_missing",
    "trid_missing_from",
]
