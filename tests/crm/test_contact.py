"""The public /contact/ form: a lead stored with consent, the honeypot, the rate limit, and nothing half-saved."""

import pytest
from django.core import mail

from crm.forms import SPAM_MESSAGE
from crm.models import Activity, ConsentSource, Contact, Lead
from crm.views.public import RATE_LIMITED_MESSAGE

pytestmark = pytest.mark.django_db

GOOD = {"name": "Dana Doe", "email": "Dana@Example.com", "phone": "(555) 010-0100", "message": "Refi?", "consent": "on"}


def test_contact_form_shows_field_errors_and_saves_nothing(client):
    response = client.post("/contact/", {"name": "", "email": "not-an-email", "message": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "email", "message", "consent"}
    assert response.context["form"].errors["consent"] == ["Tick the box so we may contact you."]
    assert (Contact.objects.count(), Lead.objects.count(), mail.outbox) == (0, 0, [])


def test_a_submission_stores_a_lead_with_consent_and_tells_its_officer(
    client, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/?utm_campaign=spring-refi", GOOD)
    assert response.status_code == 302
    lead = Lead.objects.select_related("contact", "source").get()
    contact = lead.contact
    assert (contact.first_name, contact.last_name) == ("Dana", "Doe")
    assert (contact.email_normalized, contact.phone_normalized) == ("dana@example.com", "15550100100")
    assert contact.consent_to_contact is True
    assert contact.consent_source == ConsentSource.CONTACT_FORM
    assert contact.consent_at is not None
    assert (lead.stage, lead.source.code, lead.campaign_code, lead.message) == (
        "new",
        "website",
        "spring-refi",
        "Refi?",
    )
    assert lead.officer == officer  # the only loan officer: round robin gives it to her
    assert Activity.objects.get(lead=lead).subject == "Enquiry via Website contact form"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["olive@lending.test"]
    assert mail.outbox[0].subject == "New lead: Dana Doe"
    assert f"/staff/crm/leads/{lead.pk}/" in mail.outbox[0].body
    assert "A loan officer will contact you" in client.get(response["Location"]).content.decode()


def test_without_a_loan_officer_the_team_inbox_hears_of_the_lead(client, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/contact/", GOOD)
    assert Lead.objects.get().officer is None
    assert mail.outbox[0].to == [settings.LENDING_CONTACT_EMAIL]


def test_the_same_person_again_adds_to_their_open_lead(client, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/contact/", GOOD)
        client.post("/contact/", {**GOOD, "email": "other@example.com", "phone": "555 010 0100", "message": "Still?"})
    assert (Contact.objects.count(), Lead.objects.count()) == (1, 1)
    subjects = list(Activity.objects.order_by("pk").values_list("subject", "body"))
    assert subjects == [
        ("Enquiry via Website contact form", "Refi?"),
        ("Enquiry again via Website contact form", "Still?"),
    ]


def test_the_honeypot_refuses_the_submission_with_a_message(client):
    response = client.post("/contact/", {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SPAM_MESSAGE]
    assert SPAM_MESSAGE in response.content.decode()
    assert (Contact.objects.count(), Lead.objects.count(), mail.outbox) == (0, 0, [])


def test_the_sixth_submission_in_an_hour_from_one_address_is_refused(client, settings):
    settings.CRM_CONTACT_RATE = (5, 3600)
    for n in range(5):
        assert client.post("/contact/", {**GOOD, "email": f"p{n}@example.com", "phone": ""}).status_code == 302
    response = client.post("/contact/", {**GOOD, "email": "p6@example.com", "phone": ""})
    assert response.status_code == 429
    assert RATE_LIMITED_MESSAGE in response.content.decode()
    assert Lead.objects.count() == 5
    # Another address is not limited.
    other = client.post("/contact/", {**GOOD, "email": "p7@example.com", "phone": ""}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302
    emails = sorted(Lead.objects.values_list("contact__email", flat=True))
    assert emails == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
        "p3@example.com",
        "p4@example.com",
        "p7@example.com",
    ]


def test_a_phone_without_area_code_is_a_field_error_and_nothing_is_saved(client):
    response = client.post("/contact/", {**GOOD, "phone": "0100"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"phone": ["Enter a phone number with its area code (10 to 15 digits)."]}
    assert (Contact.objects.count(), Lead.objects.count()) == (0, 0)


@pytest.mark.parametrize("name", ["Dana\r\nBcc: probe@example.com", "Dana\nDoe", "Dana\tDoe"])
def test_a_name_with_a_line_break_is_a_field_error_not_a_500(client, name):
    response = client.post("/contact/", {**GOOD, "name": name})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["Enter this on one line, without control characters."]}
    assert mail.outbox == []


def test_a_nul_byte_in_a_form_field_is_a_400(client):
    response = client.post("/contact/", {**GOOD, "name": "Dana\x00Doe"})
    assert response.status_code == 400
    assert "A field of this request holds a NUL character." in response.content.decode()
    assert mail.outbox == []


def test_the_notification_subject_stays_on_one_line_whatever_the_name(officer):
    from crm.tasks import lead_notify_officer
    from tests.crm.factories import ContactFactory, LeadFactory

    lead = LeadFactory(contact=ContactFactory(first_name="Dana\r\nBcc:", last_name="x@example.com"), officer=officer)
    lead_notify_officer(lead.pk)
    assert mail.outbox[0].subject == "New lead: Dana Bcc: x@example.com"
