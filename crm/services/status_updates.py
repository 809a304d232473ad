"""Live status updates: at each milestone of a converted lead's application the referring partner is emailed a
signed status link, and the update goes on the contact's timeline.

The borrower already receives origination's status email at every transition (origination.notifications), so
the CRM does not send a second one: the timeline records that the borrower was told. The partner's page and
email show milestones only, never amounts, rates or documents.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from crm.models import Activity, Lead
from origination import workflow

# Application status -> the milestone the borrower and agent hear about. A conditional approval is the
# approval a purchase contract waits for, so both approvals are one milestone (sent once).
MILESTONES = {
    workflow.SUBMITTED: ("submitted", "Application submitted"),
    workflow.APPROVED: ("approved", "Loan approved"),
    workflow.CONDITIONALLY_APPROVED: ("approved", "Loan approved"),
    workflow.CLEAR_TO_CLOSE: ("clear_to_close", "Clear to close"),
    workflow.CLOSED: ("closed", "Loan closed"),
    workflow.FUNDED: ("funded", "Loan funded"),
}
MILESTONE_ORDER = ("submitted", "approved", "clear_to_close", "closed", "funded")
STATUS_LINK_SALT = "crm.partner-status-link"


def status_token(lead: Lead) -> str:
    """A signed token naming this lead and its referring partner: a token for one lead never opens another,
    and it stops working if the lead is given another partner."""
    return signing.dumps({"lead": lead.pk, "partner": lead.referral_partner_id}, salt=STATUS_LINK_SALT)


def status_token_lead_id(token: str) -> tuple[int, int] | None:
    """(lead id, partner id) from a token this site signed and that has not expired, else None."""
    try:
        data = signing.loads(token, salt=STATUS_LINK_SALT, max_age=settings.CRM_STATUS_LINK_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("lead"), int) or not isinstance(data.get("partner"), int):
        return None
    return data["lead"], data["partner"]


def status_url(lead: Lead) -> str:
    path = reverse("crm_status", args=[status_token(lead)])
    return f"{settings.LENDING_SITE_URL.rstrip('/')}{path}"


def _partner_email(lead: Lead) -> str:
    partner = lead.referral_partner
    return partner.email if partner is not None and partner.is_active and partner.email else ""


@transaction.atomic
def status_update_record(*, application_id: int, to_status: str) -> Activity | None:
    """Record the milestone on the contact's timeline and email the referring partner, once per lead and
    milestone (the timeline entry's unique key makes a repeated signal a no-op). None: not a milestone, no
    linked lead, or already recorded."""
    milestone = MILESTONES.get(to_status)
    lead = (
        Lead.objects.select_related("contact", "referral_partner", "application")
        .filter(application_id=application_id)
        .first()
    )
    if milestone is None or lead is None:
        return None
    code, label = milestone
    partner_email = _partner_email(lead)
    told = ["the borrower (status email)"] + ([f"{lead.referral_partner} ({partner_email})"] if partner_email else [])
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                contact_id=lead.contact_id,
                lead=lead,
                kind=Activity.Kind.STATUS_UPDATE,
                subject=f"{label}: {lead.application.number}",  # type: ignore[union-attr]  # filtered on it
                body="Told: " + "; ".join(told) + ".",
                dedupe_key=f"status:{lead.pk}:{code}",
            )
    except IntegrityError:
        return None
    if partner_email:
        body = render_to_string(
            "email/crm/partner_status.txt",
            {"lead": lead, "label": label, "client": _client_name(lead), "url": status_url(lead)},
        )
        transaction.on_commit(
            lambda: send_mail(
                subject=f"{_client_name(lead)}: {label.lower()}",
                message=body,
                from_email=None,
                recipient_list=[partner_email],
            )
        )
    return activity


def _client_name(lead: Lead) -> str:
    """What an agent sees of the borrower: first name and last initial."""
    contact = lead.contact
    initial = f" {contact.last_name[:1]}." if contact.last_name else ""
    return f"{contact.first_name}{initial}".strip() or "Your client"


def milestones_reached(lead: Lead) -> list[dict[str, object]]:
    """Each milestone in order with the date it was reached (None: not yet), from the timeline."""
    reached = {
        a.dedupe_key.rsplit(":", 1)[1]: a.occurred_at
        for a in Activity.objects.filter(lead=lead, kind=Activity.Kind.STATUS_UPDATE, dedupe_key__isnull=False)
        if a.dedupe_key
    }
    labels = dict(MILESTONES.values())
    return [{"code": code, "label": labels[code], "at": reached.get(code)} for code in MILESTONE_ORDER]


def client_name_for_partner(lead: Lead) -> str:
    return _client_name(lead)
