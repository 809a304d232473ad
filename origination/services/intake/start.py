"""Starting an application: a draft with its number, for the borrower online or for staff."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from origination.application_rules import purposes_for
from origination.models import Application, LoanProduct
from origination.services.assignment import loan_officer_next
from origination.services.intake.access import _is_intake_staff


@transaction.atomic
def application_start(
    *,
    actor: User | None,
    product: LoanProduct,
    purpose: str,
    applicant: User | None = None,
    loan_officer: User | None = None,
) -> Application:
    """Open a draft application. Its number ("A-2026-000123") comes from the primary key, so it is unique
    under any concurrency without a counter table. Without a ``loan_officer`` (an online application), the
    next active loan officer in turn gets it."""
    if actor is not None and roles.is_borrower(actor) and not _is_intake_staff(actor):
        if applicant is not None and applicant.pk != actor.pk:
            raise PermissionDenied("A borrower can only apply for themselves.")
        applicant = actor
    elif not _is_intake_staff(actor):
        raise PermissionDenied("Your role may not start applications.")
    if not product.is_active:
        raise ValidationError({"product": "This product is not offered any more."})
    if purpose not in purposes_for(product):
        raise ValidationError({"purpose": f"Choose a purpose offered for {product.name}."})
    if applicant is not None and not roles.is_borrower(applicant):
        raise ValidationError({"applicant": "The applicant's account must be a borrower account."})
    assigned_in_turn = loan_officer is None
    if assigned_in_turn:
        loan_officer = loan_officer_next()
    application = Application.objects.create(
        number=f"T-{uuid.uuid4().hex[:18]}",  # placeholder, replaced in the same transaction
        product=product,
        purpose=purpose,
        applicant=applicant,
        loan_officer=loan_officer,
    )
    number = f"A-{timezone.localdate().year}-{application.pk:06d}"
    Application.objects.filter(pk=application.pk).update(number=number)
    application.number = number
    audit_record(
        actor=actor,
        verb="application.started",
        target=application,
        after={
            "number": number,
            "product": product.code,
            "purpose": purpose,
            "applicant": applicant.email if applicant else "",
            "loan_officer": loan_officer.email if loan_officer else "",
        },
        note="Loan officer assigned in turn (round robin)." if assigned_in_turn and loan_officer else "",
    )
    return application
