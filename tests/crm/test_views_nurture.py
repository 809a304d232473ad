"""Campaign screens (managers), past-client follow-ups (officers: their own) and the public unsubscribe page:
roles on every view, the flows, and constant query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Campaign, CampaignSend, CampaignStep, Contact, Enrollment, FollowUp, PastClient
from crm.services.campaign_sending import campaign_sends_claim, campaign_sends_deliver, unsubscribe_token
from lending.core import roles
from lending.core.models import AuditEvent
from tests.core.factories import user_with_role
from tests.crm.factories import ContactFactory, LeadSourceFactory
from tests.crm.factories_nurture import CampaignFactory, StepFactory
from tests.money_asserts import texts_by_testid
from tests.servicing.factories import funded_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def step():
    return StepFactory(campaign=CampaignFactory(name="Spring"))


def _manager_urls(step):
    c = step.campaign.pk
    gets = [
        "/staff/crm/campaigns/",
        "/staff/crm/campaigns/new/",
        f"/staff/crm/campaigns/{c}/",
        f"/staff/crm/campaigns/{c}/edit/",
        f"/staff/crm/campaigns/{c}/steps/new/",
        f"/staff/crm/campaigns/{c}/steps/{step.pk}/",
    ]
    return gets, [*gets[1:], f"/staff/crm/campaigns/{c}/enroll/"]


def _follow_up(officer):
    client = PastClient.objects.create(
        contact=ContactFactory(),
        application=funded_application(),
        officer=officer,
        product_kind="mortgage",
        funded_on=date(2025, 3, 2),
    )
    return FollowUp.objects.create(
        past_client=client, officer=officer, kind="anniversary", key="2026", due_date=date(2026, 3, 2), title="Call"
    )


def test_campaign_screens_are_for_managers_only(client, step, officer, borrower, manager):
    gets, posts = _manager_urls(step)
    for url in gets:
        response = client.get(url)
        assert (response.status_code, response["Location"][:16]) == (302, "/accounts/login/"), url
    for user in (borrower, officer, user_with_role(roles.PROCESSOR)):
        client.force_login(user)
        for url in gets:
            assert client.get(url).status_code == 403, (user, url)
        for url in posts:
            assert client.post(url).status_code == 403, (user, url)
    # The refused posts created, renamed, re-stepped and enrolled nothing.
    assert list(Campaign.objects.values_list("name", flat=True)) == ["Spring"]
    assert list(CampaignStep.objects.all()) == [step]
    assert not Enrollment.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="crm.campaign").exists()
    assert client.get("/staff/crm/campaigns/999999/").status_code == 403  # no hint whether it exists
    client.force_login(manager)
    for url in gets:
        assert client.get(url).status_code == 200, url
    assert client.get("/staff/crm/campaigns/999999/").status_code == 404
    assert client.get(f"/staff/crm/campaigns/{step.campaign.pk}/steps/999999/").status_code == 404


def test_a_manager_creates_a_campaign_and_a_rule_without_its_setting_is_a_field_error(client, manager):
    client.force_login(manager)
    response = client.post("/staff/crm/campaigns/new/", {"name": "New leads", "trigger": "new_lead"})
    assert response.status_code == 400
    assert response.context["form"].errors["source"] == ["Choose the source whose new leads join."]
    assert not Campaign.objects.exists()
    source = LeadSourceFactory(code="website")
    response = client.post(
        "/staff/crm/campaigns/new/",
        {"name": "New leads", "trigger": "new_lead", "source": source.pk, "is_active": "on"},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/crm/campaigns/{campaign.pk}/"
    assert (campaign.trigger, campaign.source, campaign.is_active, campaign.created_by) == (
        "new_lead",
        source,
        True,
        manager,
    )
    response = client.post(f"/staff/crm/campaigns/{campaign.pk}/edit/", {"name": "Renamed", "trigger": "manual"})
    campaign.refresh_from_db()
    assert (campaign.name, campaign.trigger, campaign.source, campaign.is_active) == ("Renamed", "manual", None, False)


def test_steps_preview_save_and_refuse_unsafe_templates(client, manager):
    campaign = CampaignFactory()
    client.force_login(manager)
    url = f"/staff/crm/campaigns/{campaign.pk}/steps/new/"
    data = {"delay_days": 2, "subject": "Hi {{ first_name }}", "body": "From {{ officer_name }}"}
    response = client.post(url, {**data, "preview": "1"})
    assert response.status_code == 200
    assert response.context["preview"] == ("Hi Dana", "From Olive Officer")
    assert not campaign.steps.exists()
    response = client.post(url, {**data, "body": "{% load static %}"})
    assert response.status_code == 400
    assert response.context["form"].errors["body"] == ["The tag {% load %} is not allowed in campaign emails."]
    assert not campaign.steps.exists()
    assert client.post(url, data).status_code == 302
    step = campaign.steps.get()
    assert (step.position, step.delay_days, step.subject) == (1, 2, "Hi {{ first_name }}")


def test_a_step_already_sent_cannot_be_edited(client, manager, step):
    Enrollment.objects.create(campaign=step.campaign, contact=ContactFactory(), via="manual")
    campaign_sends_deliver(send_ids=campaign_sends_claim(now=timezone.now()), now=timezone.now())
    client.force_login(manager)
    response = client.post(
        f"/staff/crm/campaigns/{step.campaign.pk}/steps/{step.pk}/", {"delay_days": 0, "subject": "x", "body": "y"}
    )
    assert response.status_code == 400
    step.refresh_from_db()
    assert step.subject == "Hello {{ first_name }}"


def test_enrolling_by_hand_from_the_campaign_page(client, manager, step):
    ContactFactory(email="ana@example.com", email_normalized="ana@example.com")
    client.force_login(manager)
    url = f"/staff/crm/campaigns/{step.campaign.pk}/enroll/"
    response = client.post(url, {"emails": "ana@example.com\nwho@example.com"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 enrolled.", "Not in the CRM: who@example.com"]
    assert Enrollment.objects.get().contact.email == "ana@example.com"
    assert client.post(url, {"emails": ""}).status_code == 400
    assert Enrollment.objects.count() == 1  # the empty list enrolled no one more


def test_the_campaign_page_query_count_does_not_grow_with_sends(client, manager, step):
    client.force_login(manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/staff/crm/campaigns/{step.campaign.pk}/").status_code == 200
        return len(captured)

    Enrollment.objects.create(campaign=step.campaign, contact=ContactFactory(), via="manual")
    campaign_sends_deliver(send_ids=campaign_sends_claim(now=timezone.now()), now=timezone.now())
    first = queries()  # one send (an empty page skips the page's query)
    for _ in range(11):
        Enrollment.objects.create(campaign=step.campaign, contact=ContactFactory(), via="manual")
    campaign_sends_deliver(send_ids=campaign_sends_claim(now=timezone.now()), now=timezone.now())
    assert CampaignSend.objects.filter(status="sent").count() == 12
    assert queries() == first
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/staff/crm/campaigns/").status_code == 200
    CampaignFactory()
    with CaptureQueriesContext(connection) as again:
        client.get("/staff/crm/campaigns/")
    assert len(again) == len(captured)


def _send(step, contact, status, minutes_ago, **fields):
    enrollment, _ = Enrollment.objects.get_or_create(
        campaign=step.campaign, contact=contact, defaults={"via": "manual"}
    )
    return CampaignSend.objects.create(
        enrollment=enrollment,
        step=step,
        campaign=step.campaign,
        status=status,
        to_email=contact.email,
        queued_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def test_the_campaign_page_counts_each_steps_sends_by_outcome_and_its_enrollments(client, manager, step):
    second = StepFactory(campaign=step.campaign, position=step.position + 1)
    StepFactory(campaign=step.campaign, position=step.position + 2)  # nothing sent yet
    people = [ContactFactory() for _ in range(6)]
    for contact, status in zip(people, ["sent", "sent", "bounced", "skipped", "queued"], strict=False):
        _send(step, contact, status, 10)
    _send(second, people[0], "sent", 5)
    _send(StepFactory(), people[5], "sent", 5)  # another campaign's send counts there, not here
    Enrollment.objects.filter(contact=people[1]).update(stopped_at=timezone.now(), stop_reason="unsubscribed")
    Enrollment.objects.filter(contact=people[2], campaign=step.campaign).update(
        stopped_at=timezone.now(), stop_reason="bounced"
    )
    Enrollment.objects.filter(contact=people[3]).update(stopped_at=timezone.now(), stop_reason="stopped by hand")
    client.force_login(manager)
    response = client.get(f"/staff/crm/campaigns/{step.campaign.pk}/")
    # A bounce counts as sent and as bounced (it was sent first).
    assert [(s.pk, s.queued, s.sent, s.skipped, s.bounced) for s in response.context["steps"]] == [
        (step.pk, 1, 3, 1, 1),
        (second.pk, 0, 1, 0, 0),
        (second.pk + 1, 0, 0, 0, 0),
    ]
    assert texts_by_testid(response.content.decode(), "campaign-summary")[0].endswith(
        "Enrolled 5, still going 2, unsubscribed 1, bounced 1."
    )


def test_the_campaign_pages_sends_are_newest_first_capped_and_found_by_email(client, manager, step, monkeypatch):
    monkeypatch.setattr("crm.views.campaigns.SENDS_PAGE_SIZE", 2)
    monkeypatch.setattr("lending.core.pagination.MAX_ROWS", 4)
    ana = ContactFactory(email="Ana@Example.com", email_normalized="ana@example.com")
    second = StepFactory(campaign=step.campaign, position=step.position + 1)
    _send(step, ana, "sent", 60)
    for minutes in range(50, 0, -10):
        _send(step, ContactFactory(), "sent", minutes)
    _send(second, ana, "queued", 1)
    client.force_login(manager)
    url = f"/staff/crm/campaigns/{step.campaign.pk}/"
    first = client.get(url)
    assert [send.to_email for send in first.context["page"]] == ["Ana@Example.com", first.context["page"][1].to_email]
    assert first.context["page"][0].step == second
    # Seven sends, four shown in two pages; a page past the cap is the last page, and it says how to find the rest.
    deep = client.get(url, {"page": "9"})
    assert deep.context["page"].number == 2
    text = deep.content.decode()
    assert texts_by_testid(text, "page-of") == ["Page 2 of 2+"]
    assert texts_by_testid(text, "list-capped") == ["Older sends: find them by the contact's email."]
    found = client.get(url, {"email": " ANA@example.COM "})
    assert [(send.step, send.status) for send in found.context["page"]] == [(second, "queued"), (step, "sent")]
    assert texts_by_testid(found.content.decode(), "list-capped") == []


# --- follow-ups -----------------------------------------------------------------------------------------


def test_officers_see_and_close_their_own_follow_ups_and_others_get_404(
    client, officer, other_officer, manager, borrower
):
    mine, theirs = _follow_up(officer), _follow_up(other_officer)
    assert client.get("/staff/crm/past-clients/").status_code == 302
    client.force_login(borrower)
    assert client.get("/staff/crm/past-clients/").status_code == 403
    assert client.post(f"/staff/crm/past-clients/follow-ups/{mine.pk}/done/").status_code == 403
    client.force_login(officer)
    assert list(client.get("/staff/crm/past-clients/").context["follow_ups"]) == [mine]
    assert client.post(f"/staff/crm/past-clients/follow-ups/{theirs.pk}/done/").status_code == 404
    assert client.post(f"/staff/crm/past-clients/follow-ups/{mine.pk}/done/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.done_at is not None, theirs.done_at) == (True, None)
    assert list(client.get("/staff/crm/past-clients/?done=1").context["follow_ups"]) == [mine]
    client.force_login(manager)
    assert list(client.get("/staff/crm/past-clients/").context["follow_ups"]) == [theirs]


def test_the_follow_up_page_query_count_does_not_grow(client, officer):
    client.force_login(officer)
    _follow_up(officer)
    with CaptureQueriesContext(connection) as first:
        client.get("/staff/crm/past-clients/")
    for _ in range(5):
        _follow_up(officer)
    with CaptureQueriesContext(connection) as second:
        response = client.get("/staff/crm/past-clients/")
    assert len(response.context["follow_ups"]) == 6
    assert len(second) == len(first)


# --- unsubscribe ----------------------------------------------------------------------------------------


def test_the_unsubscribe_link_asks_then_records_and_needs_no_login(client):
    contact = ContactFactory(email="ana@example.com")
    url = f"/crm/unsubscribe/{unsubscribe_token(contact.pk)}/"
    response = client.get(url)
    assert response.status_code == 200
    assert "Unsubscribe ana@example.com?" in response.content.decode()
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None  # a link scanner's GET changes nothing
    response = client.post(url)  # the form, or a mail client's one-click POST (no CSRF token)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None


def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(client):
    contact = ContactFactory()
    token = unsubscribe_token(contact.pk)
    for bad in (token[:-2] + "xx", "garbage", unsubscribe_token(contact.pk + 1000)):
        assert client.get(f"/crm/unsubscribe/{bad}/").status_code == 404
        response = client.post(f"/crm/unsubscribe/{bad}/")
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    assert not Contact.objects.filter(unsubscribed_at__isnull=False).exists()
