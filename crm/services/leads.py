"""Leads: creating one (deduped onto its contact), who works it (rule or round robin), and its stage.

Stages move new -> contacted -> qualified by hand, to ``application`` only by conversion (crm.services.conversion)
and to ``won`` only when the loan funds; ``lost`` needs a reason, and a lost lead may be reopened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.models import Activity, Lead, LeadRotation, LeadSource, ReferralPartner, Stage
from crm.services.contacts import ContactData, contact_upsert
from lending.core import roles
from lending.core.models import User
from lending.core.selectors import users_with_role
from lending.core.services import audit_record

CRM_ROLES = (roles.LOAN_OFFICER, roles.MANAGER)
OPEN_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED)
# The moves a person makes on the board. APPLICATION and WON are reached only through the application.
MANUAL_MOVES: dict[str, tuple[str, ...]] = {
    Stage.NEW: (Stage.CONTACTED, Stage.QUALIFIED, Stage.LOST),
    Stage.CONTACTED: (Stage.QUALIFIED, Stage.LOST),
    Stage.QUALIFIED: (Stage.CONTACTED, Stage.LOST),
    Stage.APPLICATION: (),
    Stage.WON: (),
    Stage.LOST: (Stage.CONTACTED,),
}


def is_manager(user: User | None) -> bool:
    return roles.has_role(user, roles.MANAGER)


def lead_visible_to(user: User, lead: Lead) -> bool:
    """Managers see every lead; a loan officer sees the leads assigned to them."""
    return is_manager(user) or (roles.has_role(user, roles.LOAN_OFFICER) and lead.officer_id == user.pk)


def require_lead_access(actor: User, lead: Lead) -> None:
    if not lead_visible_to(actor, lead):
        raise PermissionDenied("This lead belongs to another loan officer.")


# --- assignment --------------------------------------------------------------------------------------------


def active_loan_officers() -> QuerySet[User]:
    return users_with_role(roles.LOAN_OFFICER).order_by("pk")


def _locked_rotation() -> LeadRotation:
    try:
        with transaction.atomic():  # a savepoint: a concurrent first row makes this insert fail, not the caller
            LeadRotation.objects.get_or_create(key="leads")
    except IntegrityError:
        pass
    return LeadRotation.objects.select_for_update().get(key="leads")


@transaction.atomic
def officer_next_in_turn() -> User | None:
    """The next active loan officer after the one given the last lead (account order, wrapping round)."""
    rotation = _locked_rotation()
    officers = active_loan_officers()
    officer = officers.filter(pk__gt=rotation.last_assigned_id or 0).first() or officers.first()
    if officer is not None:
        rotation.last_assigned = officer
        rotation.save(update_fields=["last_assigned", "updated_at"])
    return officer


def officer_for(source: LeadSource) -> User | None:
    """By rule first: the source's officer while they are an active loan officer; otherwise the next in turn."""
    if source.assign_to_id is not None and active_loan_officers().filter(pk=source.assign_to_id).exists():
        return source.assign_to
    return officer_next_in_turn()


@transaction.atomic
def lead_reassign(*, actor: User, lead: Lead, officer: User) -> Lead:
    """A manager hands a lead to another active loan officer."""
    if not is_manager(actor):
        raise PermissionDenied("Only a manager may reassign a lead.")
    if not active_loan_officers().filter(pk=officer.pk).exists():
        raise ValidationError({"officer": "Choose an active loan officer."})
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    before = locked.officer.email if locked.officer is not None else ""
    locked.officer = officer
    locked.save(update_fields=["officer", "updated_at"])
    audit_record(
        actor=actor,
        verb="crm.lead_reassigned",
        target=locked,
        before={"officer": before},
        after={"officer": officer.email},
    )
    return locked


@transaction.atomic
def lead_referral_set(*, actor: User, lead: Lead, partner: ReferralPartner | None) -> Lead:
    """Record (or correct) who referred the lead; the partner's page counts it from now on."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    require_lead_access(actor, locked)
    if partner is not None and not partner.is_active:
        raise ValidationError({"referral_partner": "Choose an active partner."})
    before = str(locked.referral_partner) if locked.referral_partner_id else ""
    if locked.referral_partner_id == (partner.pk if partner else None):
        return locked
    locked.referral_partner = partner
    locked.save(update_fields=["referral_partner", "updated_at"])
    Activity.objects.create(
        contact_id=locked.contact_id,
        lead=locked,
        kind=Activity.Kind.NOTE,
        subject=f"Referred by {partner}" if partner else "Referral removed",
        actor=actor,
    )
    audit_record(
        actor=actor,
        verb="crm.lead_referral_set",
        target=locked,
        before={"referral_partner": before},
        after={"referral_partner": str(partner) if partner else ""},
    )
    return locked


# --- creation ------------------------------------------------------------------------------------------------


@dataclass
class LeadInput:
    contact: ContactData
    source: LeadSource
    consent_source: str
    consent: bool = False
    message: str = ""
    campaign_code: str = ""
    purpose: str = ""
    amount_requested: Decimal | None = None
    referral_partner: ReferralPartner | None = None
    officer: User | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadCaptured:
    lead: Lead
    contact_created: bool
    lead_created: bool


def _open_lead(contact_id: int) -> Lead | None:
    return Lead.objects.select_for_update().filter(contact_id=contact_id, stage__in=OPEN_STAGES).order_by("pk").first()


@transaction.atomic
def lead_capture(*, actor: User | None, data: LeadInput) -> LeadCaptured:
    """Record an enquiry. The person is matched by email or phone; if they already have an open lead, the
    enquiry is added to its timeline instead of opening a second lead for the same person."""
    now = timezone.now()
    upserted = contact_upsert(data=data.contact, consent_source=data.consent_source, consent=data.consent, now=now)
    contact = upserted.contact
    lead = None if upserted.created else _open_lead(contact.pk)
    created = lead is None
    if lead is None:
        lead = Lead.objects.create(
            contact=contact,
            source=data.source,
            campaign_code=data.campaign_code,
            purpose=data.purpose,
            amount_requested=data.amount_requested,
            message=data.message,
            referral_partner=data.referral_partner,
            officer=data.officer or officer_for(data.source),
            created_by=actor,
            created_at=now,
            stage_changed_at=now,
        )
        audit_record(
            actor=actor,
            verb="crm.lead_created",
            target=lead,
            after={"source": data.source.code, "officer": lead.officer.email if lead.officer else ""},
        )
    elif data.referral_partner is not None and lead.referral_partner_id is None:
        lead.referral_partner = data.referral_partner
        lead.save(update_fields=["referral_partner", "updated_at"])
    Activity.objects.create(
        contact=contact,
        lead=lead,
        kind=Activity.Kind.NOTE,
        subject=f"Enquiry via {data.source.name}" if created else f"Enquiry again via {data.source.name}",
        body=data.message,
        actor=actor,
        occurred_at=now,
    )
    return LeadCaptured(lead=lead, contact_created=upserted.created, lead_created=created)


# --- stages --------------------------------------------------------------------------------------------------


def lead_stage_write(lead: Lead, *, actor: User | None, to: str, note: str = "", lost_reason: str = "") -> None:
    """Write a stage change on a locked lead: the row, the timeline entry and the audit row, together."""
    now = timezone.now()
    before = lead.stage
    lead.stage, lead.stage_changed_at = to, now
    lead.lost_reason = lost_reason if to == Stage.LOST else ""
    fields = ["stage", "stage_changed_at", "lost_reason", "updated_at"]
    # Speed to first contact: contacted, or qualified straight from new (they talked), is a first contact.
    if to in (Stage.CONTACTED, Stage.QUALIFIED) and lead.first_contacted_at is None:
        lead.first_contacted_at = now
        fields.append("first_contacted_at")
    if to in (Stage.WON, Stage.LOST):
        lead.closed_at = now
        fields.append("closed_at")
    lead.save(update_fields=fields)
    label = Stage(to).label
    Activity.objects.create(
        contact_id=lead.contact_id,
        lead=lead,
        kind=Activity.Kind.STAGE,
        subject=f"Stage: {Stage(before).label} -> {label}",
        body=lost_reason or note,
        actor=actor,
        occurred_at=now,
    )
    audit_record(
        actor=actor,
        verb="crm.lead_stage_changed",
        target=lead,
        before={"stage": before},
        after={"stage": to, "lost_reason": lead.lost_reason},
        note=note,
    )


@transaction.atomic
def lead_move(*, actor: User, lead: Lead, to: str, lost_reason: str = "") -> Lead:
    """Move a lead on the board. Only the moves in MANUAL_MOVES; ``lost`` needs a reason."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    require_lead_access(actor, locked)
    if to not in Stage.values:
        raise ValidationError({"stage": "Choose a stage."})
    if to == locked.stage:
        return locked
    if to not in MANUAL_MOVES[locked.stage]:
        if to == Stage.APPLICATION:
            raise ValidationError({"stage": "Convert the lead to open its application."})
        raise ValidationError(
            {"stage": f"A lead cannot move from {Stage(locked.stage).label} to {Stage(to).label} by hand."}
        )
    lost_reason = " ".join(lost_reason.split())
    if to == Stage.LOST and not lost_reason:
        raise ValidationError({"lost_reason": "Say why the lead was lost."})
    lead_stage_write(locked, actor=actor, to=to, lost_reason=lost_reason)
    return locked


def lead_follow_application(*, lead: Lead, to: str, actor: User | None, note: str) -> bool:
    """Move a converted lead with its application (won when funded, lost when denied or withdrawn); the caller
    holds the lock. A lead already there stays: signals may arrive twice."""
    if lead.stage != Stage.APPLICATION or to == lead.stage:
        return False
    lead_stage_write(lead, actor=actor, to=to, note=note, lost_reason=note if to == Stage.LOST else "")
    return True


def lead_first_contact_mark(lead: Lead) -> None:
    """Speed to first contact: the first call, email or meeting logged on a lead starts nothing new once set."""
    if lead.first_contacted_at is None:
        lead.first_contacted_at = timezone.now()
        lead.save(update_fields=["first_contacted_at", "updated_at"])
