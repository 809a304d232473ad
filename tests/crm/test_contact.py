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


@pytest.mark.parametrize("name", ["Dana\r\nBcc: probe@example.com", "Dana\nDoe", "Dana\tDoe"])
def test_a_name_with_a_line_break_is_a_field_error_not_a_500(client, name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/", {"name": name, "email": "dana@example.com", "message": "Refi?"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["Enter this on one line, without control characters."]}
    assert mail.outbox == []


def test_a_nul_byte_in_a_form_field_is_a_400(client):
    response = client.post("/contact/", {"name": "Dana\x00Doe", "email": "dana@example.com", "message": "Refi?"})
    assert response.status_code == 400
    assert "A field of this request holds a NUL character." in response.content.decode()
    assert mail.outbox == []


def test_the_notification_subject_stays_on_one_line_whatever_the_payload():
    from crm.tasks import contact_request_notify

    contact_request_notify({"name": "Dana\r\nBcc: x@example.com", "email": "d@example.com", "message": "Hi"})
    assert mail.outbox[0].subject == "Contact request from Dana Bcc: x@example.com"
