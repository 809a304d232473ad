"""``demo_seed``: what ``manage.py seed_demo`` runs for the CRM (after origination and servicing). Idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from crm.models import Lead, LeadSource, ReferralPartner, Stage
from crm.services import activities, conversion, leads, status_updates
from crm.services.contacts import ContactData, contact_upsert
from lending.core.models import User
from origination.models import Application
from origination.workflow import DENIED, FUNDED, WITHDRAWN

OFFICER = "officer@lending.test"
SOURCES = (("website", "Website contact form"), ("referral", "Partner referral"), ("open-house", "Open house"))
# (first, last, email, source, partner, the stage it is driven to, lost reason)
OPEN_LEADS = (
    ("Nora", "Newman", "nora.newman@example.com", "website", None, Stage.NEW, ""),
    ("Ned", "Nash", "ned.nash@example.com", "open-house", "Rita Realtor", Stage.NEW, ""),
    ("Carl", "Contact", "carl.contact@example.com", "website", None, Stage.CONTACTED, ""),
    ("Quinn", "Quill", "quinn.quill@example.com", "referral", "Rita Realtor", Stage.QUALIFIED, ""),
    ("Luke", "Lost", "luke.lost@example.com", "referral", "Bill Builder", Stage.LOST, "Chose a credit union"),
)


def _partners(officer: User) -> dict[str, ReferralPartner]:
    past = contact_upsert(
        data=ContactData(first_name="Pat", last_name="Pastclient", email="pat.pastclient@example.com")
    ).contact
    made = {}
    for kind, name, company, email, contact in (
        (ReferralPartner.Kind.AGENT, "Rita Realtor", "Sunrise Realty", "rita@realty.test", None),
        (ReferralPartner.Kind.BUILDER, "Bill Builder", "Oak Street Homes", "bill@oakhomes.test", None),
        (ReferralPartner.Kind.PAST_CLIENT, "Pat Pastclient", "", "pat.pastclient@example.com", past),
    ):
        partner = ReferralPartner.objects.filter(name=name).first()
        made[name] = partner or ReferralPartner.objects.create(
            kind=kind, name=name, company=company, email=email, contact=contact
        )
    return made


def _open_lead(officer: User, sources: dict[str, LeadSource], partners, row) -> Lead:
    first, last, email, source, partner, stage, reason = row
    lead = leads.lead_capture(
        actor=officer,
        data=leads.LeadInput(
            contact=ContactData(first_name=first, last_name=last, email=email),
            source=sources[source],
            consent_source="manual",
            consent=True,
            message="Looking at homes around $400k.",
            referral_partner=partners.get(partner) if partner else None,
            officer=officer,
        ),
    ).lead
    path = {Stage.CONTACTED: [Stage.CONTACTED], Stage.QUALIFIED: [Stage.CONTACTED, Stage.QUALIFIED]}.get(stage, [])
    for step in path:
        leads.lead_move(actor=officer, lead=lead, to=step)
    if stage == Stage.LOST:
        leads.lead_move(actor=officer, lead=lead, to=Stage.LOST, lost_reason=reason)
    if stage == Stage.CONTACTED:
        activities.activity_log(actor=officer, lead=lead, kind="call", subject="Intro call: wants pre-approval")
        activities.task_create(
            actor=officer, lead=lead, title="Send the pre-approval checklist", due_date=timezone.localdate()
        )
    return lead


def _applications_for_leads(officer: User) -> list[Application]:
    """One application in progress, one funded and one denied or withdrawn of the officer's, not yet linked."""
    free = (
        Application.objects.filter(crm_lead__isnull=True, loan_officer=officer)
        .prefetch_related("borrowers")
        .order_by("pk")
    )
    chosen: list[Application] = []
    for statuses in (("submitted", "processing", "conditionally_approved", "approved"), (FUNDED,), (DENIED, WITHDRAWN)):
        application = free.filter(status__in=statuses).exclude(pk__in=[a.pk for a in chosen]).first()
        if application is not None:
            chosen.append(application)
    return chosen


def _linked_lead(officer: User, source: LeadSource, partner: ReferralPartner, application: Application) -> Lead:
    borrower = application.borrowers.filter(is_primary=True).first()
    email = borrower.email if borrower and borrower.email else f"applicant{application.pk}@example.com"
    lead = leads.lead_capture(
        actor=officer,
        data=leads.LeadInput(
            contact=ContactData(
                first_name=borrower.first_name if borrower else "",
                last_name=borrower.last_name if borrower else "Doe",
                email=email,
            ),
            source=source,
            consent_source="manual",
            consent=True,
            referral_partner=partner,
            officer=officer,
        ),
    ).lead
    lead = conversion.lead_application_link(actor=officer, lead=lead, application=application)
    status_updates.status_update_record(application_id=application.pk, to_status=application.status)
    if application.application_date:  # the lead came in the morning the application was taken, not at seeding
        came_in = timezone.make_aware(datetime.combine(application.application_date, time(9)))
        Lead.objects.filter(pk=lead.pk).update(created_at=min(came_in, lead.created_at))
    return lead


def leads_and_partners_seed(*, stdout) -> None:
    """Leads in every stage (new, contacted, qualified, application, won, lost) for the demo loan officer, and
    three referral partners (an agent, a builder, a past client) with referrals, one of them funded."""
    officer = User.objects.filter(email=OFFICER).first()
    if officer is None:
        stdout.write("CRM demo skipped: the demo loan officer is missing.")
        return
    if Lead.objects.filter(contact__email_normalized=OPEN_LEADS[0][2]).exists():
        stdout.write("CRM demo data already there (nothing added).")
        return
    # Dummy email outermost: the status emails are sent on commit, when the atomic block ends inside it.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        sources = {
            code: LeadSource.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in SOURCES
        }
        partners = _partners(officer)
        for row in OPEN_LEADS:
            _open_lead(officer, sources, partners, row)
        givers = [partners["Rita Realtor"], partners["Pat Pastclient"], partners["Bill Builder"]]
        for application, partner in zip(_applications_for_leads(officer), givers, strict=False):
            _linked_lead(officer, sources["referral"], partner, application)
        Lead.objects.filter(stage=Stage.NEW, contact__email_normalized=OPEN_LEADS[0][2]).update(
            created_at=timezone.now() - timedelta(hours=3)
        )
    counts = {label: Lead.objects.filter(stage=stage).count() for stage, label in Stage.choices}
    stdout.write("CRM demo: leads by stage: " + ", ".join(f"{label} {n}" for label, n in counts.items()))
    stdout.write(
        f"CRM demo: {ReferralPartner.objects.count()} referral partners; sign in as {OFFICER} and open /staff/crm/."
    )


def demo_seed(*, stdout) -> None:
    from crm.demo_nurture import campaigns_and_past_clients_seed

    leads_and_partners_seed(stdout=stdout)
    campaigns_and_past_clients_seed(stdout=stdout)
