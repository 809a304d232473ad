"""The TRID application date (Reg Z 1026.2(a)(3)(ii)), stamped the first time the six items are present, and
the borrower's online submission."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from origination import workflow
from origination.application_rules import has_property_step, trid_missing_from
from origination.models import Application, Borrower, Employment, Property
from origination.services.intake.access import ECONSENT_REQUIRED_LABEL
from origination.services.workflow import BEFORE_TRANSITION_HOOKS, TransitionBlocked, application_transition


def trid_items_missing(application: Application) -> list[str]:
    """Codes of the TRID application items this application still lacks (three small queries)."""
    primary = (
        Borrower.objects.filter(application_id=application.pk, is_primary=True)
        .only("first_name", "last_name", "ssn_last4")
        .first()
    )
    incomes = Employment.objects.filter(borrower__application_id=application.pk).filter(
        Q(monthly_base_income__gt=0) | Q(monthly_other_income__gt=0)
    )[:1]
    needs_property = has_property_step(application.product)
    prop = Property.objects.filter(application_id=application.pk).first() if needs_property else None
    return trid_missing_from(
        primary=primary,
        incomes=list(incomes),
        prop=prop,
        amount_requested=application.amount_requested,
        needs_property=needs_property,
    )


@transaction.atomic
def application_date_stamp_if_complete(application: Application, *, actor: User | None = None) -> bool:
    """Set the application date (business date) the first time all six TRID items are present; never move it.

    Returns True when this call stamped it.
    """
    if application.application_date is not None or trid_items_missing(application):
        return False
    today = timezone.localdate()
    # Conditional UPDATE: only the first writer stamps, even if two requests complete the items at once.
    stamped = Application.objects.filter(pk=application.pk, application_date__isnull=True).update(
        application_date=today
    )
    if not stamped:
        application.application_date = (
            Application.objects.filter(pk=application.pk).values_list("application_date", flat=True).get()
        )
        return False
    application.application_date = today
    audit_record(
        actor=actor,
        verb="application.application_date_stamped",
        target=application,
        after={"application_date": today},
        note="Six TRID application items present (Reg Z 1026.2(a)(3)(ii)).",
    )
    return True


def _copy_stamp(application: Application, locked: Application) -> None:
    if application is not locked:
        application.application_date = locked.application_date


def application_submit_online(*, actor: User, application: Application) -> Application:
    """The borrower submits their own application online: e-consent must be on file (electronic disclosures
    follow, ESIGN Act 15 U.S.C. 7001(c)), then the workflow's submit guards decide."""
    if application.econsent_at is None:
        raise TransitionBlocked("Submit application is blocked.", (ECONSENT_REQUIRED_LABEL,))
    return application_transition(application=application, name="submit", actor=actor, expected_status=workflow.DRAFT)


def _stamp_before_submit(application: Application, actor: User) -> None:
    """Before the submit guards run, stamp the date if the items are complete (e.g. entered by an import)."""
    application_date_stamp_if_complete(application, actor=actor)


BEFORE_TRANSITION_HOOKS.setdefault("submit", []).append(_stamp_before_submit)
