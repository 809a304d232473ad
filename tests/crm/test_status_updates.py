"""Live status updates: the referring agent is emailed a signed, milestones-only link; the timeline records it."""

import re

import pytest
from django.core import mail, signing

from crm.models import Activity, Stage
from crm.services.status_updates import STATUS_LINK_SALT, status_token, status_update_record, status_url
from origination.models import Application
from origination.services.closing import loan_fund
from origination.signals import application_transitioned
from tests.crm.factories import ContactFactory, LeadFactory, PartnerFactory
from tests.origination.factories import ApplicationFactory
from tests.origination.factories_compliance import CLOSING_DATE, Team, closed_application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _referred_lead(partner=None, application=None):
    partner = partner or PartnerFactory(name="Amy Agent", email="amy@realty.test")
    application = application or ApplicationFactory(amount_requested="412345.00")
    contact = ContactFactory(first_name="Ana", last_name="Lopez")
    return LeadFactory(contact=contact, stage=Stage.APPLICATION, application=application, referral_partner=partner)


def _transition(application, to_status, callbacks):
    with callbacks(execute=True):
        application_transitioned.send(
            sender=Application,
            application=application,
            transition=to_status,
            from_status="x",
            to_status=to_status,
            actor=None,
        )


def test_the_agent_is_emailed_a_signed_link_at_a_milestone_and_the_timeline_records_it(
    client, django_capture_on_commit_callbacks
):
    lead = _referred_lead()
    _transition(lead.application, "submitted", django_capture_on_commit_callbacks)
    agent_mail = [m for m in mail.outbox if m.to == ["amy@realty.test"]]
    assert len(agent_mail) == 1
    assert agent_mail[0].subject == "Ana L.: application submitted"
    assert "412" not in agent_mail[0].body  # never an amount
    activity = Activity.objects.get(lead=lead, kind="status_update")
    assert activity.subject == f"Application submitted: {lead.application.number}"
    assert activity.body == "Told: the borrower (status email); Amy Agent (Main Street Realty) (amy@realty.test)."
    url = re.search(r"http://\S+/status/\S+/", agent_mail[0].body).group(0)
    page = client.get(url.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Loan progress for Ana L." in text
    assert "Application submitted" in text
    assert "Lopez" not in text
    assert "412" not in text  # no amount, no rate, no document
    assert [m["code"] for m in page.context["milestones"] if m["at"]] == ["submitted"]


def test_the_borrower_gets_one_status_email_not_two(django_capture_on_commit_callbacks, borrower):
    application = ApplicationFactory(applicant=borrower)
    Application.objects.filter(pk=application.pk).update(status="submitted")  # origination emails the current status
    _referred_lead(application=application)
    _transition(application, "submitted", django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["amy@realty.test", "bea@example.com"]


def test_a_milestone_is_recorded_once_and_both_approvals_are_one_milestone(django_capture_on_commit_callbacks):
    lead = _referred_lead()
    for status in ("conditionally_approved", "approved", "approved", "processing"):
        _transition(lead.application, status, django_capture_on_commit_callbacks)
    assert list(Activity.objects.filter(kind="status_update").values_list("subject", flat=True)) == [
        f"Loan approved: {lead.application.number}"
    ]
    assert len(mail.outbox) == 1


def test_without_an_agent_the_update_is_still_on_the_timeline(django_capture_on_commit_callbacks):
    lead = LeadFactory(stage=Stage.APPLICATION, application=ApplicationFactory())
    _transition(lead.application, "clear_to_close", django_capture_on_commit_callbacks)
    assert Activity.objects.get(kind="status_update").body == "Told: the borrower (status email)."
    assert mail.outbox == []


def test_a_tampered_or_foreign_or_stale_token_is_a_404(client):
    lead = _referred_lead()
    other = _referred_lead(partner=PartnerFactory())
    token = status_token(lead)
    assert client.get(f"/status/{token}/").status_code == 200
    assert client.get(f"/status/{token[:-2]}xx/").status_code == 404
    # A token signed for this lead's id but by hand (no secret) or with another salt fails.
    forged = signing.dumps({"lead": other.pk, "partner": other.referral_partner_id}, salt="another-salt")
    assert client.get(f"/status/{forged}/").status_code == 404
    # A valid token for a lead whose partner changed no longer opens it.
    other.referral_partner = PartnerFactory()
    other.save()
    stale = signing.dumps({"lead": other.pk, "partner": lead.referral_partner_id}, salt=STATUS_LINK_SALT)
    assert client.get(f"/status/{stale}/").status_code == 404
    assert client.get("/status/not-a-token/").status_code == 404


def test_an_expired_link_is_a_404(client, settings):
    lead = _referred_lead()
    settings.CRM_STATUS_LINK_MAX_AGE = -1
    assert client.get(status_url(lead).replace("http://127.0.0.1:8000", "")).status_code == 404


def test_status_update_record_ignores_applications_without_a_lead():
    assert status_update_record(application_id=ApplicationFactory().pk, to_status="submitted") is None


def test_funding_for_real_wins_the_lead_and_tells_the_agent(django_capture_on_commit_callbacks):
    team = Team()
    application = closed_application(team=team)
    lead = _referred_lead(application=application)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="W-1")
    lead.refresh_from_db()
    assert lead.stage == "won"
    assert [m.subject for m in mail.outbox if m.to == ["amy@realty.test"]] == ["Ana L.: loan funded"]
    assert Activity.objects.filter(lead=lead, kind="status_update").get().subject.startswith("Loan funded: ")
