"""The admin screens of the CRM's after-closing and campaign data: the market rate table (managers edit it) and
campaign sends (a bounce recorded from a list action). And the beat schedule names the tasks."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from crm import tasks_nurture
from crm.models import CampaignSend, Enrollment, MarketRate
from crm.services.campaign_sending import campaign_sends_claim, campaign_sends_deliver
from lending.core import roles
from tests.core.factories import user_with_role
from tests.crm.factories import ContactFactory
from tests.crm.factories_nurture import StepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


def test_a_manager_keeps_the_market_rate_table_in_the_admin(client, admin_manager):
    client.force_login(admin_manager)
    assert client.get("/admin/crm/marketrate/").status_code == 200
    response = client.post(
        "/admin/crm/marketrate/add/",
        {
            "product_kind": "mortgage",
            "term_periods": 360,
            "annual_rate": "5.8750",
            "effective_date": "2026-12-01",
            "created_at_0": "2026-12-01",
            "created_at_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rate = MarketRate.objects.get()
    assert (rate.product_kind, rate.term_periods, rate.annual_rate, rate.effective_date) == (
        "mortgage",
        360,
        Decimal("5.8750"),
        date(2026, 12, 1),
    )


def test_a_servicer_cannot_edit_market_rates(client):
    servicer = user_with_role(roles.SERVICER)
    servicer.is_staff = True
    servicer.save(update_fields=["is_staff"])
    client.force_login(servicer)
    assert client.get("/admin/crm/marketrate/add/").status_code == 403


def test_a_bounce_is_recorded_from_the_campaign_sends_list(client, admin_manager):
    step = StepFactory()
    contact = ContactFactory(email="ana@example.com", email_normalized="ana@example.com")
    Enrollment.objects.create(campaign=step.campaign, contact=contact, via="manual")
    now = timezone.now()
    campaign_sends_deliver(send_ids=campaign_sends_claim(now=now), now=now)
    send = CampaignSend.objects.get()
    client.force_login(admin_manager)
    assert client.get("/admin/crm/campaignsend/").status_code == 200
    response = client.post(
        "/admin/crm/campaignsend/", {"action": "record_bounce", "_selected_action": [send.pk]}, follow=True
    )
    assert "1 bounce(s) recorded." in response.content.decode()
    send.refresh_from_db()
    assert (send.status, send.bounce_reason) == ("bounced", "Recorded in the admin")


def test_beat_runs_the_dispatch_every_quarter_hour_and_the_follow_ups_each_morning():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["crm-campaigns-dispatch"]["task"] == tasks_nurture.campaigns_dispatch.name
    assert schedule["crm-past-client-follow-ups"]["task"] == tasks_nurture.past_client_follow_ups.name
    assert tasks_nurture.past_client_follow_ups.delay().get() == {"anniversaries": 0, "refinance_alerts": 0}
