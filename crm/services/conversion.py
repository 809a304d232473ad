"""Conversion: a qualified lead becomes a borrower account and a draft application in origination, through
origination's own services; afterwards the lead follows its application (won when funded, lost when denied
or withdrawn)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import Lead, Stage
from crm.services.leads import is_manager, lead_follow_application, lead_stage_write, require_lead_access
from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record, user_create
from origination import workflow
from origination.models import Application, LoanProduct
from origination.services import intake

# The application's end states that end the lead, and the reason the lead records.
APPLICATION_LOST_REASONS = {
    workflow.DENIED: "Application denied",
    workflow.WITHDRAWN: "Application withdrawn",
}


@dataclass(frozen=True)
class Converted:
    lead: Lead
    application: Application
    account_created: bool


def _borrower_account(*, actor: User, lead: Lead) -> tuple[User, bool]:
    """The contact's borrower account: the one already linked or registered with their email, else a new one
    without a password (the borrower sets it through "forgot password"; the portal email says so)."""
    contact = lead.contact
    if contact.user_id is not None:
        return contact.user, False  # type: ignore[return-value]  # set when user_id is
    if not contact.email_normalized:
        raise ValidationError({"email": "Add the contact's email first: the borrower's account needs one."})
    existing = User.objects.filter(email__iexact=contact.email_normalized).first()
    if existing is not None:
        if not roles.is_borrower(existing):
            raise ValidationError({"email": "This email belongs to a staff account: use the borrower's own email."})
        return existing, False
    user = user_create(
        actor=actor,
        email=contact.email_normalized,
        password=None,
        first_name=contact.first_name,
        last_name=contact.last_name,
        role_names=(roles.BORROWER,),
    )
    return user, True


def _amount_fits(product: LoanProduct, amount: Decimal | None) -> bool:
    return amount is not None and product.min_amount <= amount <= product.max_amount


@transaction.atomic
def lead_convert(*, actor: User, lead: Lead, product: LoanProduct, purpose: str) -> Converted:
    """Turn a qualified lead into a draft application, pre-filled from the lead: the borrower's name, email
    and phone, and the amount when the product lends it. The lead's officer becomes the application's loan
    officer, the lead moves to ``application`` and keeps the link; a lead converts once."""
    locked = Lead.objects.select_for_update().select_related("contact").get(pk=lead.pk)
    require_lead_access(actor, locked)
    if locked.stage != Stage.QUALIFIED or locked.application_id is not None:
        raise ValidationError(f"Only a qualified lead can be converted; this one is {locked.get_stage_display()}.")
    borrower, created = _borrower_account(actor=actor, lead=locked)
    officer = locked.officer or actor
    application = intake.application_start(
        actor=actor, product=product, purpose=purpose, applicant=borrower, loan_officer=officer
    )
    contact = locked.contact
    intake.borrower_save(
        actor=actor,
        application=application,
        data={
            "first_name": contact.first_name or borrower.first_name or "-",
            "last_name": contact.last_name,
            "email": contact.email_normalized,
            "phone": contact.phone,
        },
    )
    if _amount_fits(product, locked.amount_requested):
        intake.loan_request_save(
            actor=actor, application=application, data={"purpose": purpose, "amount_requested": locked.amount_requested}
        )
    if contact.user_id is None:
        contact.user = borrower
        contact.save(update_fields=["user", "updated_at"])
    locked.application = application
    locked.converted_at = timezone.now()
    if locked.officer_id is None:
        locked.officer = officer
    locked.save(update_fields=["application", "converted_at", "officer", "updated_at"])
    lead_stage_write(locked, actor=actor, to=Stage.APPLICATION, note=f"Application {application.number} opened.")
    audit_record(
        actor=actor,
        verb="crm.lead_converted",
        target=locked,
        after={"application": application.number, "borrower": borrower.email, "account_created": created},
    )
    return Converted(lead=locked, application=application, account_created=created)


@transaction.atomic
def lead_application_link(*, actor: User, lead: Lead, application: Application) -> Lead:
    """Link an open lead to an application the borrower started themselves on /apply/, so the application
    records who referred it; the lead then stands where the application stands (application, won or lost)."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    require_lead_access(actor, locked)
    if locked.stage not in (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED) or locked.application_id is not None:
        raise ValidationError("Only an open lead without an application can be linked to one.")
    if not is_manager(actor) and application.loan_officer_id != actor.pk:
        raise ValidationError(f"Application {application.number} is not one of yours.")
    if Lead.objects.filter(application=application).exists():
        raise ValidationError(f"Application {application.number} is already linked to a lead.")
    locked.application, locked.converted_at = application, timezone.now()
    locked.save(update_fields=["application", "converted_at", "updated_at"])
    lead_stage_write(locked, actor=actor, to=Stage.APPLICATION, note=f"Linked to application {application.number}.")
    if application.status == workflow.FUNDED:
        lead_follow_application(lead=locked, to=Stage.WON, actor=actor, note="Loan funded")
    elif application.status in APPLICATION_LOST_REASONS:
        reason = APPLICATION_LOST_REASONS[application.status]
        lead_follow_application(lead=locked, to=Stage.LOST, actor=actor, note=reason)
    audit_record(
        actor=actor, verb="crm.lead_application_linked", target=locked, after={"application": application.number}
    )
    return locked


def _linked_lead(application_id: int) -> Lead | None:
    return Lead.objects.select_for_update().filter(application_id=application_id).first()


@transaction.atomic
def lead_on_application_transitioned(*, application_id: int, to_status: str) -> Lead | None:
    """A denied or withdrawn application loses its lead (with that reason)."""
    reason = APPLICATION_LOST_REASONS.get(to_status)
    lead = _linked_lead(application_id) if reason else None
    if lead is not None:
        lead_follow_application(lead=lead, to=Stage.LOST, actor=None, note=reason or "")
    return lead


@transaction.atomic
def lead_on_loan_funded(*, application_id: int) -> Lead | None:
    """The funded loan wins its lead."""
    lead = _linked_lead(application_id)
    if lead is not None:
        lead_follow_application(lead=lead, to=Stage.WON, actor=None, note="Loan funded")
    return lead
