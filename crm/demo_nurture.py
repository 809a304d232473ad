"""The campaign and past-client part of the CRM demo: a running campaign with emails sent and due, and a past
client whose loan has a refinance alert. Called from crm.demo.demo_seed; idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from crm.models import Campaign, CampaignSend, LeadSource, MarketRate, PastClient
from crm.services import campaign_sending, campaigns, past_clients
from lending.core.models import User
from origination.models import Application
from servicing.models import LoanAccount

MANAGER = "manager@lending.test"
CAMPAIGN = "Welcome series for website leads"
STEPS = (
    (
        0,
        "Thanks for reaching out, {{ first_name|default:'there' }}",
        "Hi {{ first_name|default:'there' }},\n\n"
        "Thanks for contacting {{ company }}. {% if officer_name %}{{ officer_name }} will{% else %}One of our loan "
        "officers will{% endif %} be in touch shortly. In the meantime, our pre-approval checklist is attached to "
        "your application page.\n",
    ),
    (
        3,
        "What a pre-approval means for your offer",
        "Hi {{ first_name|default:'there' }},\n\nSellers take an offer "
        "with a pre-approval letter more seriously. It takes about 20 minutes to apply.\n",
    ),
    (
        7,
        "This week's rates",
        "Hi {{ first_name|default:'there' }},\n\nRates moved this week. Reply to this email "
        "and {{ officer_name|default:'your loan officer' }} will run your numbers.\n",
    ),
)
REFINANCE_DROP = Decimal("1.0000")  # the demo market rate: one point under the past client's loan


def _campaign(actor: User | None, now) -> Campaign:
    website = LeadSource.objects.get_or_create(code="website", defaults={"name": "Website contact form"})[0]
    campaign = Campaign.objects.create(
        name=CAMPAIGN,
        description="Three emails over a week to every new lead from the website form.",
        is_active=True,
        trigger=Campaign.Trigger.NEW_LEAD,
        source=website,
        created_by=actor,
        created_at=now - timedelta(days=30),
    )
    for delay, subject, body in STEPS:
        campaigns.campaign_step_save(
            actor=actor,
            campaign=campaign,
            delay_days=delay,
            subject=subject,
            body=body,
        )
    return campaign


def _run_campaign(campaign: Campaign, now) -> int:
    """Enroll by the rule a few days back and send what was due then: step 1 sent, step 2 due soon."""
    then = now - timedelta(days=2)
    campaigns.campaigns_enroll_by_rules(now=then)
    campaign.enrollments.update(enrolled_at=then)
    return campaign_sending.campaign_sends_deliver(send_ids=campaign_sending.campaign_sends_claim(now=then), now=then)


def _refinance_alert(today) -> PastClient | None:
    """Every funded application's borrower as a past client (the loan_funded receiver did it already under
    `make run`), then a market rate a point below the first active mortgage's rate: its officer gets the alert."""
    for application_id in Application.objects.filter(status="funded").values_list("pk", flat=True):
        past_clients.past_client_from_funding(application_id=application_id)
    client = (
        PastClient.objects.filter(loan__status=LoanAccount.Status.ACTIVE)
        .select_related("loan", "contact")
        .order_by("-product_kind", "pk")  # mortgage first
        .first()
    )
    if client is None or client.loan is None:
        return None
    MarketRate.objects.get_or_create(
        product_kind=client.product_kind,
        term_periods=client.loan.term_periods,
        effective_date=today,
        defaults={"annual_rate": max(client.loan.annual_rate - REFINANCE_DROP, Decimal("0"))},
    )
    past_clients.refinance_alerts(today=today)
    return client


def campaigns_and_past_clients_seed(*, stdout) -> None:
    if Campaign.objects.filter(name=CAMPAIGN).exists():
        stdout.write("CRM demo campaign already there (nothing added).")
        return
    now = timezone.now()
    actor = User.objects.filter(email=MANAGER).first()
    # Dummy email outermost: officer alerts go out on commit, when the atomic block ends inside it.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        campaign = _campaign(actor, now)
        sent = _run_campaign(campaign, now)
        client = _refinance_alert(timezone.localdate(now))
    queued = CampaignSend.objects.filter(campaign=campaign).count()
    stdout.write(f"CRM demo: campaign '{CAMPAIGN}' running, {sent} email(s) sent ({queued} claimed).")
    if client is None:
        stdout.write("CRM demo: no boarded loan, so no past client with a refinance alert.")
    else:
        stdout.write(
            f"CRM demo: past client {client.contact} has a refinance alert: /staff/crm/past-clients/; "
            "campaigns (as the manager): /staff/crm/campaigns/; dashboard: /staff/crm/dashboard/."
        )
