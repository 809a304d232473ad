"""Saving what HMDA needs beyond the application: each borrower's demographic information (the intake section,
while the application can be edited) and, for staff in any status, the census tract and what was collected by
visual observation or surname (the LAR is filed after the final action)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from origination.application_rules import STATE_FIPS
from origination.models import Application, Demographics, Property
from origination.services.intake.access import _lock_for_edit

DEMOGRAPHIC_FIELDS = ("ethnicity", "ethnicity_declined", "race", "race_declined", "sex", "sex_declined")
OBSERVATION_FIELDS = ("ethnicity_observed", "race_observed", "sex_observed")
HMDA_STAFF_ROLES = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER)


def _snapshot(info: Demographics, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(info, name) for name in names}


def _demographics_of(application: Application, borrower_id: int) -> Demographics:
    borrower = application.borrowers.filter(pk=borrower_id).first()
    if borrower is None:
        raise ValidationError("That borrower is not on this application.")
    return Demographics.objects.filter(borrower=borrower).first() or Demographics(borrower=borrower)


@transaction.atomic
def demographics_save(*, actor: User | None, application: Application, rows: list[dict[str, Any]]) -> None:
    """Each borrower's ethnicity, race and sex (codes, or declined), as the borrower or staff entered them."""
    locked = _lock_for_edit(actor=actor, application=application)
    for row in rows:
        info = _demographics_of(locked, row["borrower"])
        before = _snapshot(info, DEMOGRAPHIC_FIELDS) if info.pk else None
        for name in DEMOGRAPHIC_FIELDS:
            setattr(info, name, row[name])
        info.save()
        audit_record(
            actor=actor,
            verb="application.demographics_saved",
            target=locked,
            before=before,
            after={"borrower": info.borrower_id, **_snapshot(info, DEMOGRAPHIC_FIELDS)},
        )


def census_tract_problem(tract: str, state: str) -> str | None:
    """Why ``tract`` cannot be the property's census tract, or None (blank is allowed until filing)."""
    if not tract:
        return None
    if not re.fullmatch(r"\d{11}", tract):
        return "A census tract is 11 digits: state (2), county (3) and tract (6)."
    expected = STATE_FIPS.get(state.upper())
    if expected and tract[:2] != expected:
        return f"A property in {state.upper()} has a tract starting with state code {expected}."
    return None


@transaction.atomic
def hmda_details_save(
    *, actor: User, application: Application, census_tract: str, demographics: list[dict[str, Any]]
) -> None:
    """The property's census tract and each answered borrower's demographic information, with the categories
    staff collected by visual observation or surname. Open to origination staff in any status: HMDA data is
    completed up to the filing, after the final action."""
    if not roles.has_role(actor, *HMDA_STAFF_ROLES):
        raise PermissionDenied("You may not change this application's HMDA data.")
    locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    prop = Property.objects.filter(application=locked).first()
    if prop is None:
        raise ValidationError("Enter the subject property before its census tract.")
    problem = census_tract_problem(census_tract, prop.state)
    if problem:
        raise ValidationError({"census_tract": problem})
    if prop.census_tract != census_tract:
        audit_record(
            actor=actor,
            verb="application.census_tract_saved",
            target=locked,
            before={"census_tract": prop.census_tract},
            after={"census_tract": census_tract},
        )
        Property.objects.filter(pk=prop.pk).update(census_tract=census_tract)
    names = DEMOGRAPHIC_FIELDS + OBSERVATION_FIELDS
    for row in demographics:
        info = _demographics_of(locked, row["borrower"])
        before = _snapshot(info, names) if info.pk else None
        for name in names:
            setattr(info, name, row[name])
        if before != _snapshot(info, names):
            info.save()
            audit_record(
                actor=actor,
                verb="application.demographics_saved",
                target=locked,
                before=before,
                after={"borrower": info.borrower_id, **_snapshot(info, names)},
            )
