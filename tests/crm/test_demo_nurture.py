"""The CRM demo's running campaign and past client with a refinance alert. Idempotent."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from crm.models import Campaign, CampaignSend, FollowUp, PastClient

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: funding boards each loan as `make run` does


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_demo_has_a_running_campaign_and_a_past_client_with_a_refinance_alert():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    campaign = Campaign.objects.get(name="Welcome series for website leads")
    assert campaign.is_active
    assert campaign.steps.count() == 3
    assert CampaignSend.objects.filter(step__campaign=campaign, status="sent").exists()
    alert = FollowUp.objects.get(kind="refinance")
    assert alert.monthly_saving > 0
    assert alert.officer is not None
    assert PastClient.objects.filter(pk=alert.past_client_id, loan__isnull=False).exists()
    # Demo people get no campaign email and the officer no alert email (origination's own emails may go out).
    ours = [m.subject for m in mail.outbox if "Refinance" in m.subject or "Thanks for reaching out" in m.subject]
    assert ours == [], [m.subject for m in mail.outbox]
    assert "CRM demo: campaign 'Welcome series for website leads' running" in out.getvalue()

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert FollowUp.objects.filter(kind="refinance").count() == 1
    assert "CRM demo campaign already there (nothing added)." in again.getvalue()
