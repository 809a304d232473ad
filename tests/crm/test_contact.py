import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def test_contact_form_shows_field_errors_and_sends_nothing(client):
    response = client.post("/contact/", {"name": "", "email": "not-an-email", "message": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "email", "message"}
    assert mail.outbox == []


def test_contact_request_reaches_the_loan_officers_inbox_after_commit(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/contact/",
            {"name": "Dana Doe", "email": "dana@example.com", "phone": "555-0100", "message": "Refi?"},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [settings.LENDING_CONTACT_EMAIL]
    assert "Dana Doe" in sent.subject
    assert "dana@example.com" in sent.body
    assert "Refi?" in sent.body
    assert "A loan officer will contact you" in client.get(response["Location"]).content.decode()
