"""Intake access and the shared plumbing of its writes: who may change an application in which status, the
row lock taken before every change, and assigning and validating form data on a model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from origination import workflow
from origination.models import Application

# Who may enter or correct application data, and while the application is in which statuses.
INTAKE_STAFF_ROLES = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER)
BORROWER_EDITABLE = (workflow.DRAFT,)
STAFF_EDITABLE = (workflow.DRAFT, workflow.SUBMITTED, workflow.PROCESSING)
ESIGN_DISCLOSURE_VERSION = "esign-2026-01"
ECONSENT_REQUIRED_LABEL = "no consent to receive documents and sign electronically is on file"

BORROWER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "marital_status",
    "dependents",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "years_at_address",
    "monthly_housing_expense",
)
EMPLOYMENT_FIELDS = (
    "employer_name",
    "position",
    "start_date",
    "is_current",
    "is_self_employed",
    "monthly_base_income",
    "monthly_other_income",
)
ASSET_FIELDS = ("kind", "institution", "balance")
LIABILITY_FIELDS = ("kind", "creditor", "monthly_payment", "balance", "paid_off_at_closing")
PROPERTY_FIELDS = (
    "address_line1",
    "city",
    "state",
    "postal_code",
    "property_type",
    "occupancy",
    "estimated_value",
    "purchase_price",
    "annual_property_tax",
    "annual_insurance",
    "monthly_hoa",
)


class IntakeClosed(Exception):
    """The application can no longer be changed by this person in its current status."""


# --- access -----------------------------------------------------------------------------------------------


def _is_intake_staff(actor: User | None) -> bool:
    return actor is None or roles.has_role(actor, *INTAKE_STAFF_ROLES)


def editable_statuses(*, actor: User | None, application: Application) -> tuple[str, ...]:
    """The statuses in which ``actor`` may change this application's data (empty: never)."""
    if _is_intake_staff(actor):
        return STAFF_EDITABLE
    if roles.is_borrower(actor) and application.applicant_id == actor.pk:
        return BORROWER_EDITABLE
    return ()


def can_edit(*, actor: User | None, application: Application) -> bool:
    return application.status in editable_statuses(actor=actor, application=application)


def _lock_for_edit(*, actor: User | None, application: Application) -> Application:
    """Lock the application row and refuse if this person may no longer change it."""
    # of=self: lock the application row only, not the product row joined in.
    locked = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=application.pk)
    allowed = editable_statuses(actor=actor, application=locked)
    if not allowed:
        raise PermissionDenied("You may not change this application.")
    if locked.status not in allowed:
        status = locked.get_status_display().lower()
        if allowed is STAFF_EDITABLE:
            raise IntakeClosed(f"This application is {status}: its intake data can no longer be changed.")
        raise IntakeClosed(
            f"This application is {status}, so it can no longer be changed online. "
            "Contact your loan officer to correct anything."
        )
    return locked


def _application_update(application: Application, **fields: Any) -> None:
    # A plain UPDATE on the locked row: the FSM status is never touched by intake.
    fields["updated_at"] = timezone.now()
    Application.objects.filter(pk=application.pk).update(**fields)
    for name, value in fields.items():
        setattr(application, name, value)


def _snapshot(obj: models.Model | None, fields: Iterable[str]) -> dict[str, Any]:
    if obj is None:
        return {}
    return {name: getattr(obj, name) for name in fields}


def _assign(obj: models.Model, name: str, value: Any) -> None:
    """Set a field from form data; an empty optional value becomes the field's null, default or blank."""
    if value is None:
        field = cast("models.Field[Any, Any]", obj._meta.get_field(name))  # a concrete field of the row
        if field.null:
            value = None
        elif field.has_default():
            value = field.get_default()
        elif field.empty_strings_allowed and field.blank:
            value = ""
        else:
            return  # a required field left empty: validation reports it
    setattr(obj, name, value)


def _validated(obj: models.Model, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
