"""Nurturing campaigns: templates, scheduling from delays, enrollment rules, idempotent sending, unsubscribe and
bounces."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.management import call_command

from crm import tasks_nurture
from crm.models import Activity, Campaign, CampaignSend, Contact, Enrollment, Stage
from crm.services import campaign_sending, campaign_templates, campaigns
from crm.services.campaign_sending import (
    campaign_bounce_record,
    campaign_sends_claim,
    campaign_sends_deliver,
    contact_unsubscribe,
    unsubscribe_token,
)
from lending.core.models import AuditEvent
from tests.crm.factories import ContactFactory, LeadFactory, LeadSourceFactory
from tests.crm.factories_nurture import CampaignFactory, StepFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _enroll(campaign, contact, at=T0):
    return Enrollment.objects.create(campaign=campaign, contact=contact, via=Enrollment.Via.MANUAL, enrolled_at=at)


def _run(now):
    """What the beat task does, with a fixed clock: claim the due steps, then deliver them."""
    ids = campaign_sends_claim(now=now)
    return campaign_sends_deliver(send_ids=ids, now=now)


# --- templates ------------------------------------------------------------------------------------------


def test_a_step_renders_the_contacts_name_and_the_footer_carries_the_address_and_a_working_unsubscribe_link(
    settings, manager
):
    settings.LENDING_CREDITOR_NAME = "Lending Mortgage Company"
    settings.LENDING_CREDITOR_ADDRESS = "100 Main Street, Springfield, IL 62701"
    settings.LENDING_SITE_URL = "https://lend.test"
    step = StepFactory(subject="Hi {{ first_name }}", body="Dear {{ full_name }}, from {{ company }}.")
    contact = ContactFactory(first_name="Ana", last_name="Lopez", email="ana@example.com")
    _enroll(step.campaign, contact)
    assert _run(T0) == 1
    message = mail.outbox[0]
    assert message.subject == "Hi Ana"
    assert message.to == ["ana@example.com"]
    url = message.extra_headers["List-Unsubscribe"][1:-1]
    token = url.removeprefix("https://lend.test/crm/unsubscribe/").removesuffix("/")
    assert campaign_sending.unsubscribe_contact_id(token) == contact.pk
    assert message.body == (
        "Dear Ana Lopez, from Lending Mortgage Company.\n\n--\n"
        "Lending Mortgage Company, 100 Main Street, Springfield, IL 62701\n"
        f"To stop receiving these emails, unsubscribe: {url}\n"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_name_with_a_line_break_cannot_inject_headers_into_the_subject():
    step = StepFactory(subject="Hi {{ first_name }}")
    _enroll(step.campaign, ContactFactory(first_name="Ana\r\nBcc: x@evil.test", last_name="Lopez"))
    _run(T0)
    assert mail.outbox[0].subject == "Hi Ana Bcc: x@evil.test"


@pytest.mark.parametrize(
    "source",
    ["{% load static %}", '{% include "base.html" %}', '{% extends "base.html" %}', "{% debug %}", "{% if %}"],
)
def test_unsafe_tags_and_bad_syntax_are_refused_when_a_step_is_saved(manager, source):
    campaign = CampaignFactory()
    with pytest.raises(ValidationError) as caught:
        campaigns.campaign_step_save(actor=manager, campaign=campaign, delay_days=0, subject="Hi", body=source)
    assert "body" in caught.value.message_dict
    assert not campaign.steps.exists()


def test_the_context_holds_only_strings_so_a_template_cannot_reach_into_models():
    template = campaign_templates.template_compile("{{ first_name.contact.user.password }}|{{ nope }}", field="b")
    assert campaign_templates.render(template, campaign_templates.Recipient("Ana", "Lopez")) == "|"


def test_steps_are_added_at_the_end_and_a_sent_step_cannot_be_changed(manager):
    campaign = CampaignFactory()
    first = campaigns.campaign_step_save(actor=manager, campaign=campaign, delay_days=0, subject="A", body="a")
    second = campaigns.campaign_step_save(actor=manager, campaign=campaign, delay_days=3, subject="B", body="b")
    assert (first.position, second.position) == (1, 2)
    _enroll(campaign, ContactFactory())
    _run(T0)
    with pytest.raises(ValidationError):
        campaigns.campaign_step_save(actor=manager, campaign=campaign, step=first, delay_days=0, subject="C", body="c")


# --- scheduling -----------------------------------------------------------------------------------------


def test_each_step_is_due_its_delay_after_the_previous_one_was_sent():
    campaign = CampaignFactory()
    first = StepFactory(campaign=campaign, position=1, delay_days=1, subject="one")
    second = StepFactory(campaign=campaign, position=2, delay_days=3, subject="two")
    _enroll(campaign, ContactFactory(), at=T0)
    # Step 1: enrolled 2 Mar 09:00 + 1 day = due 3 Mar 09:00.
    assert campaign_sending.step_due_at(step=first, after=T0) == T0 + timedelta(days=1)
    assert _run(T0 + timedelta(days=1) - timedelta(seconds=1)) == 0
    sent_at = T0 + timedelta(days=1, minutes=15)  # the beat runs a quarter of an hour after it fell due
    assert _run(sent_at) == 1
    # Step 2: 3 days after step 1 was sent (3 Mar 09:15) = 6 Mar 09:15, not 3 days after enrollment.
    assert _run(T0 + timedelta(days=3, hours=1)) == 0
    assert _run(sent_at + timedelta(days=3) - timedelta(seconds=1)) == 0
    assert _run(sent_at + timedelta(days=3)) == 1
    assert [m.subject for m in mail.outbox] == ["one", "two"]
    assert list(CampaignSend.objects.order_by("step__position").values_list("step", "sent_at")) == [
        (first.pk, sent_at),
        (second.pk, sent_at + timedelta(days=3)),
    ]


def test_a_paused_campaign_sends_nothing_and_its_queued_emails_wait_for_it():
    step = StepFactory()
    _enroll(step.campaign, ContactFactory())
    ids = campaign_sends_claim(now=T0)
    Campaign.objects.filter(pk=step.campaign_id).update(is_active=False)
    assert campaign_sends_deliver(send_ids=ids, now=T0) == 0
    assert campaign_sends_claim(now=T0 + timedelta(hours=1)) == []  # nothing claimed or picked up while paused
    assert CampaignSend.objects.get().status == "queued"
    Campaign.objects.filter(pk=step.campaign_id).update(is_active=True)
    assert campaign_sends_deliver(send_ids=campaign_sends_claim(now=T0 + timedelta(hours=1)), now=T0) == 1


# --- idempotent sending ---------------------------------------------------------------------------------


def test_a_step_is_never_sent_twice_to_the_same_enrollment(django_capture_on_commit_callbacks):
    step = StepFactory()
    for _ in range(3):
        _enroll(step.campaign, ContactFactory())
    ids = campaign_sends_claim(now=T0)
    assert len(ids) == 3
    assert campaign_sends_claim(now=T0 + timedelta(minutes=1)) == []  # claimed already: nothing new
    assert campaign_sends_deliver(send_ids=ids, now=T0) == 3
    assert campaign_sends_deliver(send_ids=ids, now=T0) == 0  # a task delivered twice sends nothing more
    assert _run(T0 + timedelta(days=30)) == 0
    assert len(mail.outbox) == 3
    assert CampaignSend.objects.filter(status="sent").count() == 3


def test_the_beat_task_fans_sends_out_in_chunks(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(campaign_sending, "CHUNK_SIZE", 2)
    step = StepFactory()
    for _ in range(5):
        _enroll(step.campaign, ContactFactory(), at=T0 - timedelta(days=1))
    delivered = []
    real = tasks_nurture.campaign_sends_deliver.delay
    monkeypatch.setattr(
        tasks_nurture.campaign_sends_deliver, "delay", lambda ids: delivered.append(list(ids)) or real(ids)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks_nurture.campaigns_dispatch.delay().get() == 5
    assert [len(chunk) for chunk in delivered] == [2, 2, 1]
    assert len(mail.outbox) == 5


def test_a_queued_row_stranded_by_a_lost_task_is_picked_up_again():
    step = StepFactory()
    _enroll(step.campaign, ContactFactory())
    assert len(campaign_sends_claim(now=T0)) == 1  # its task never ran
    assert campaign_sends_claim(now=T0 + timedelta(minutes=29)) == []
    assert len(campaign_sends_claim(now=T0 + timedelta(minutes=30))) == 1


def test_each_sent_email_goes_on_the_contacts_timeline_once():
    step = StepFactory(subject="Spring rates")
    contact = ContactFactory()
    _enroll(step.campaign, contact)
    _run(T0)
    assert list(Activity.objects.filter(contact=contact).values_list("kind", "subject")) == [
        ("email", "Campaign email: Spring rates")
    ]


# --- enrollment -----------------------------------------------------------------------------------------


def test_enrolling_by_hand_reports_unknown_and_unsubscribed_addresses_and_never_enrolls_twice(manager):
    campaign = CampaignFactory()
    ContactFactory(email="ana@example.com", email_normalized="ana@example.com")
    ContactFactory(email="gone@example.com", email_normalized="gone@example.com", unsubscribed_at=T0)
    result = campaigns.campaign_enroll(
        actor=manager, campaign=campaign, emails=["ANA@example.com ", "gone@example.com", "who@example.com"], now=T0
    )
    assert (result.enrolled, result.unknown, result.not_reachable) == (1, ["who@example.com"], ["gone@example.com"])
    again = campaigns.campaign_enroll(actor=manager, campaign=campaign, emails=["ana@example.com"], now=T0)
    assert again.enrolled == 0
    assert Enrollment.objects.filter(campaign=campaign).count() == 1
    assert AuditEvent.objects.filter(verb="crm.campaign_enrolled").count() == 2


def test_the_new_lead_rule_enrolls_open_leads_from_its_source_made_since_the_campaign():
    website, other = LeadSourceFactory(code="website"), LeadSourceFactory(code="open-house")
    campaign = CampaignFactory(trigger=Campaign.Trigger.NEW_LEAD, source=website, created_at=T0)
    new = LeadFactory(source=website, created_at=T0 + timedelta(hours=1))
    LeadFactory(source=website, created_at=T0 - timedelta(hours=1))  # before the campaign
    LeadFactory(source=other, created_at=T0 + timedelta(hours=1))  # another source
    LeadFactory(source=website, created_at=T0 + timedelta(hours=1), stage=Stage.LOST, lost_reason="x")  # closed
    LeadFactory(  # unsubscribed
        source=website, created_at=T0 + timedelta(hours=1), contact=ContactFactory(unsubscribed_at=T0)
    )
    assert campaigns.campaigns_enroll_by_rules(now=T0 + timedelta(hours=2)) == 1
    assert list(campaign.enrollments.values_list("contact_id", "via")) == [(new.contact_id, "rule")]
    assert campaigns.campaigns_enroll_by_rules(now=T0 + timedelta(hours=3)) == 0


def test_the_stale_lead_rule_enrolls_open_leads_without_activity_for_n_days(officer):
    CampaignFactory(trigger=Campaign.Trigger.STALE_LEAD, stale_days=14)
    now = T0 + timedelta(days=30)
    quiet = LeadFactory(stage_changed_at=T0)  # nothing for 30 days
    talked = LeadFactory(stage_changed_at=T0)
    Activity.objects.create(contact=talked.contact, lead=talked, kind="call", subject="Call", occurred_at=now)
    LeadFactory(stage_changed_at=now - timedelta(days=13))  # moved 13 days ago: not stale yet
    old_call = LeadFactory(stage_changed_at=T0)
    Activity.objects.create(
        contact=old_call.contact, lead=old_call, kind="call", subject="Call", occurred_at=now - timedelta(days=15)
    )
    assert campaigns.campaigns_enroll_by_rules(now=now) == 2
    assert set(Enrollment.objects.values_list("contact_id", flat=True)) == {quiet.contact_id, old_call.contact_id}


def test_a_manual_campaign_enrolls_nobody_by_rule():
    CampaignFactory(trigger=Campaign.Trigger.MANUAL)
    LeadFactory()
    assert campaigns.campaigns_enroll_by_rules(now=T0) == 0


def test_a_rule_needs_its_own_setting(manager):
    with pytest.raises(ValidationError) as caught:
        campaigns.campaign_save(
            actor=manager, data=campaigns.CampaignInput(name="New", trigger=Campaign.Trigger.NEW_LEAD)
        )
    assert "source" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        campaigns.campaign_save(
            actor=manager, data=campaigns.CampaignInput(name="Stale", trigger=Campaign.Trigger.STALE_LEAD)
        )
    assert "stale_days" in caught.value.message_dict


# --- unsubscribe ----------------------------------------------------------------------------------------


def test_the_signed_link_unsubscribes_its_contact_once_and_stops_their_campaigns():
    step = StepFactory()
    contact, other = ContactFactory(), ContactFactory()
    _enroll(step.campaign, contact)
    _enroll(step.campaign, other)
    campaign_sends_claim(now=T0)  # both queued
    assert contact_unsubscribe(token=unsubscribe_token(contact.pk), now=T0).pk == contact.pk
    contact.refresh_from_db()
    assert contact.unsubscribed_at == T0
    assert contact_unsubscribe(token=unsubscribe_token(contact.pk), now=T0 + timedelta(days=1)).unsubscribed_at == T0
    assert Enrollment.objects.get(contact=contact).stop_reason == "unsubscribed"
    assert CampaignSend.objects.get(enrollment__contact=contact).status == "skipped"
    assert campaign_sends_deliver(send_ids=list(CampaignSend.objects.values_list("pk", flat=True)), now=T0) == 1
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert AuditEvent.objects.filter(verb="crm.contact_unsubscribed").count() == 1


def test_a_forged_or_tampered_token_is_refused():
    contact = ContactFactory()
    token = unsubscribe_token(contact.pk)
    tampered = unsubscribe_token(contact.pk + 1).split(":")[0] + ":" + token.split(":")[1]
    other_salt = signing.dumps(contact.pk, salt="crm.partner-status-link")
    for bad in (tampered, other_salt, token + "x", "abc", signing.dumps(contact.pk)):
        assert contact_unsubscribe(token=bad, now=T0) is None, bad
    assert not Contact.objects.filter(unsubscribed_at__isnull=False).exists()


def test_an_unsubscribed_contact_is_never_emailed_again_even_when_enrolled_before():
    step = StepFactory()
    contact = ContactFactory(unsubscribed_at=T0)
    enrollment = _enroll(step.campaign, contact)
    assert _run(T0 + timedelta(days=1)) == 0
    send = CampaignSend.objects.create(
        enrollment=enrollment, step=step, campaign=step.campaign
    )  # even a row claimed by an old job
    assert campaign_sends_deliver(send_ids=[send.pk], now=T0) == 0
    send.refresh_from_db()
    assert (send.status, send.skip_reason) == ("skipped", "unsubscribed")
    assert mail.outbox == []


# --- bounces --------------------------------------------------------------------------------------------


def test_a_bounce_is_recorded_on_the_latest_send_and_stops_the_contacts_campaigns(manager):
    step = StepFactory()
    contact = ContactFactory(email="Ana@Example.com", email_normalized="ana@example.com")
    _enroll(step.campaign, contact)
    _run(T0)
    send = campaign_bounce_record(actor=manager, email="ana@example.com", reason="550 no such user", now=T0)
    assert (send.status, send.bounce_reason, send.bounced_at) == ("bounced", "550 no such user", T0)
    assert Enrollment.objects.get(contact=contact).stop_reason == "bounced"
    assert campaign_bounce_record(actor=manager, email="nobody@example.com", reason="x", now=T0) is None


def test_the_bounce_list_command_records_each_known_address(tmp_path):
    step = StepFactory()
    contact = ContactFactory(email="ana@example.com", email_normalized="ana@example.com")
    _enroll(step.campaign, contact)
    _run(T0)
    bounces = tmp_path / "bounces.csv"
    bounces.write_text("email,reason\nana@example.com,mailbox full\nwho@example.com,unknown\n")
    out = StringIO()
    call_command("crm_bounces", str(bounces), stdout=out)
    assert out.getvalue() == "1 bounce(s) recorded; 1 address(es) we sent nothing to.\n"
    assert CampaignSend.objects.get().bounce_reason == "mailbox full"


def test_the_past_client_rule_enrolls_every_reachable_past_client():
    from crm.models import PastClient
    from tests.servicing.factories import funded_application

    campaign = CampaignFactory(trigger=Campaign.Trigger.PAST_CLIENT)
    clients = [ContactFactory(), ContactFactory(unsubscribed_at=T0)]
    for contact in clients:
        PastClient.objects.create(
            contact=contact, application=funded_application(), product_kind="mortgage", funded_on=T0.date()
        )
    LeadFactory()  # a lead, not a past client
    assert campaigns.campaigns_enroll_by_rules(now=T0) == 1
    assert list(campaign.enrollments.values_list("contact_id", flat=True)) == [clients[0].pk]
