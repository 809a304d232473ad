"""Campaigns: writing one (and its steps), and who joins it, by hand or by its rule.

Sending lives in crm.services.campaign_sending. Rules are checked set-based by the scheduled dispatch:
- a new lead from a source: open leads from the campaign's source created since the campaign was made;
- a stale lead: open leads whose latest activity (or stage change, when none) is older than ``stale_days``;
- a past client: every past client (crm.models.PastClient).
Nobody unsubscribed or without an email address joins, and nobody joins a campaign twice (unique key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.db.models.functions import Coalesce

from crm.models import Campaign, CampaignStep, Contact, Enrollment, Lead, PastClient
from crm.services.campaign_templates import template_compile
from crm.services.contacts import email_normalize
from crm.services.leads import OPEN_STAGES
from lending.core.models import User
from lending.core.services import audit_record

ENROLL_BATCH = 2000


# --- authoring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignInput:
    name: str
    description: str = ""
    is_active: bool = False
    trigger: str = Campaign.Trigger.MANUAL
    source_id: int | None = None
    stale_days: int | None = None


def _campaign_check(data: CampaignInput) -> None:
    if data.trigger == Campaign.Trigger.NEW_LEAD and data.source_id is None:
        raise ValidationError({"source": "Choose the source whose new leads join."})
    if data.trigger == Campaign.Trigger.STALE_LEAD and not data.stale_days:
        raise ValidationError({"stale_days": "Say after how many days without activity a lead joins."})


def _snapshot(campaign: Campaign) -> dict[str, object]:
    return {
        "name": campaign.name,
        "is_active": campaign.is_active,
        "trigger": campaign.trigger,
        "source": campaign.source_id,
        "stale_days": campaign.stale_days,
    }


@transaction.atomic
def campaign_save(*, actor: User | None, data: CampaignInput, campaign: Campaign | None = None) -> Campaign:
    """Create a campaign or change one; the rule's own field is cleared when the rule does not use it."""
    _campaign_check(data)
    same_name = Campaign.objects.filter(name__iexact=data.name)
    if campaign is not None:
        same_name = same_name.exclude(pk=campaign.pk)
    if same_name.exists():
        raise ValidationError({"name": "A campaign with this name exists."})
    before = _snapshot(campaign) if campaign else None
    campaign = campaign or Campaign(created_by=actor)
    campaign.name = data.name
    campaign.description = data.description
    campaign.is_active = data.is_active
    campaign.trigger = data.trigger
    campaign.source_id = data.source_id if data.trigger == Campaign.Trigger.NEW_LEAD else None
    campaign.stale_days = data.stale_days if data.trigger == Campaign.Trigger.STALE_LEAD else None
    campaign.save()
    audit_record(
        actor=actor,
        verb="crm.campaign_changed" if before else "crm.campaign_created",
        target=campaign,
        before=before,
        after=_snapshot(campaign),
    )
    return campaign


@transaction.atomic
def campaign_step_save(
    *,
    actor: User | None,
    campaign: Campaign,
    delay_days: int,
    subject: str,
    body: str,
    step: CampaignStep | None = None,
) -> CampaignStep:
    """Add a step at the end of the sequence or change one. A step already sent to someone keeps its text for
    the record: change it only while nobody has received it."""
    template_compile(subject, field="subject")
    template_compile(body, field="body")
    if step is not None and step.sends.exists():
        raise ValidationError("This step has been sent already: add a new step instead of changing it.")
    if step is None:
        last = campaign.steps.aggregate(last=Max("position"))["last"] or 0
        step = CampaignStep(campaign=campaign, position=last + 1)
    step.delay_days = delay_days
    step.subject = subject
    step.body = body
    step.save()
    audit_record(
        actor=actor,
        verb="crm.campaign_step_saved",
        target=campaign,
        after={"position": step.position, "delay_days": delay_days, "subject": subject},
    )
    return step


# --- enrollment -----------------------------------------------------------------------------------------


def _reachable(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.filter(unsubscribed_at__isnull=True).exclude(email_normalized="")


def _enroll_ids(*, campaign: Campaign, contact_ids: list[int], via: str, actor: User | None, now: datetime) -> int:
    """Insert the enrollments in batches; an existing one is left alone (the unique key). Returns how many joined."""
    before = Enrollment.objects.filter(campaign=campaign).count()
    for start in range(0, len(contact_ids), ENROLL_BATCH):
        Enrollment.objects.bulk_create(
            [
                Enrollment(campaign=campaign, contact_id=pk, via=via, enrolled_by=actor, enrolled_at=now)
                for pk in contact_ids[start : start + ENROLL_BATCH]
            ],
            ignore_conflicts=True,
        )
    return Enrollment.objects.filter(campaign=campaign).count() - before


@dataclass(frozen=True)
class EnrollResult:
    enrolled: int
    unknown: list[str]
    not_reachable: list[str]


@transaction.atomic
def campaign_enroll(*, actor: User, campaign: Campaign, emails: Iterable[str], now: datetime) -> EnrollResult:
    """Enroll contacts by hand, found by email. Unknown addresses and unsubscribed contacts are reported back."""
    keys = list(dict.fromkeys(k for k in (email_normalize(e) for e in emails) if k))
    if not keys:
        raise ValidationError({"emails": "Enter at least one email address."})
    found = dict(Contact.objects.filter(email_normalized__in=keys).values_list("email_normalized", "unsubscribed_at"))
    reachable = _reachable(Contact.objects.filter(email_normalized__in=keys)).exclude(enrollments__campaign=campaign)
    enrolled = _enroll_ids(
        campaign=campaign,
        contact_ids=list(reachable.values_list("pk", flat=True)),
        via=Enrollment.Via.MANUAL,
        actor=actor,
        now=now,
    )
    audit_record(actor=actor, verb="crm.campaign_enrolled", target=campaign, after={"enrolled": enrolled})
    return EnrollResult(
        enrolled=enrolled,
        unknown=[k for k in keys if k not in found],
        not_reachable=[k for k, unsubscribed in found.items() if unsubscribed is not None],
    )


def rule_contacts(campaign: Campaign, *, now: datetime) -> QuerySet[Contact]:
    """The contacts the campaign's rule brings in now (not yet enrolled, reachable); none for a manual campaign."""
    if campaign.trigger == Campaign.Trigger.NEW_LEAD:
        leads = Lead.objects.filter(
            source_id=campaign.source_id, stage__in=OPEN_STAGES, created_at__gte=campaign.created_at
        )
    elif campaign.trigger == Campaign.Trigger.STALE_LEAD:
        quiet_since = now - timedelta(days=campaign.stale_days or 0)
        leads = (
            Lead.objects.filter(stage__in=OPEN_STAGES)
            .annotate(last_touch=Coalesce(Max("activities__occurred_at"), "stage_changed_at"))
            .filter(last_touch__lt=quiet_since)
        )
    elif campaign.trigger == Campaign.Trigger.PAST_CLIENT:
        return _reachable(Contact.objects.filter(pk__in=PastClient.objects.values("contact_id"))).exclude(
            enrollments__campaign=campaign
        )
    else:
        return Contact.objects.none()
    return _reachable(Contact.objects.filter(pk__in=leads.values("contact_id"))).exclude(enrollments__campaign=campaign)


@transaction.atomic
def campaigns_enroll_by_rules(*, now: datetime) -> int:
    """Every running campaign's rule, applied set-based (one query per campaign and a batched insert)."""
    joined = 0
    for campaign in Campaign.objects.filter(is_active=True).exclude(trigger=Campaign.Trigger.MANUAL).order_by("pk"):
        ids = list(rule_contacts(campaign, now=now).values_list("pk", flat=True))
        if ids:
            joined += _enroll_ids(campaign=campaign, contact_ids=ids, via=Enrollment.Via.RULE, actor=None, now=now)
    return joined
