"""Message and task pages: access on every view, internal notes kept from borrowers, My tasks, query counts."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Message, Task
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory
from tests.origination.factories_communication import MessageFactory, TaskFactory
from tests.origination.factories_documents import borrower_application

pytestmark = pytest.mark.django_db

STAFF_ACCESS = [
    (roles.LOAN_OFFICER, 200),
    (roles.PROCESSOR, 200),
    (roles.UNDERWRITER, 200),
    (roles.CLOSER, 200),
    (roles.MANAGER, 200),
    (roles.SERVICER, 403),
    (roles.COLLECTOR, 403),
    (roles.BORROWER, 403),
]
INTERNAL = "INTERNAL-ONLY: income docs look inconsistent"


def _login_url(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


# --- staff -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), STAFF_ACCESS)
def test_staff_pages_are_for_origination_roles(client, role, status):
    application = ApplicationFactory()
    task = TaskFactory(application=application)
    client.force_login(user_with_role(role))
    assert client.get(reverse("origination:communication-panel", args=[application.pk])).status_code == status
    assert client.get(reverse("origination:my-tasks")).status_code == status
    expected_post = 302 if status == 200 else status
    response = client.post(reverse("origination:message-post", args=[application.pk]), {"body": "Hello"})
    assert response.status_code == expected_post
    response = client.post(reverse("origination:task-complete", args=[application.pk, task.pk]))
    assert response.status_code == expected_post
    allowed = status == 200
    assert list(Message.objects.filter(application=application).values_list("body", flat=True)) == (
        ["Hello"] if allowed else []
    )
    task.refresh_from_db()
    assert (task.done_at is not None) == allowed


def test_staff_views_send_anonymous_users_to_sign_in(client):
    application = ApplicationFactory()
    task = TaskFactory(application=application)
    assert _login_url(client.get(reverse("origination:communication-panel", args=[application.pk])))
    assert _login_url(client.get(reverse("origination:my-tasks")))
    assert _login_url(client.post(reverse("origination:message-post", args=[application.pk])))
    assert _login_url(client.post(reverse("origination:task-create", args=[application.pk])))
    assert _login_url(client.post(reverse("origination:task-complete", args=[application.pk, task.pk])))
    assert not Message.objects.exists()
    assert list(Task.objects.all()) == [task]
    task.refresh_from_db()
    assert task.done_at is None


def test_unknown_application_is_404(client):
    client.force_login(user_with_role(roles.PROCESSOR))
    assert client.get(reverse("origination:communication-panel", args=[999999])).status_code == 404


def test_staff_panel_highlights_internal_notes(client):
    application = borrower_application()
    MessageFactory(application=application, author=application.applicant, body="When do we close?")
    MessageFactory(application=application, body=INTERNAL, is_internal=True)
    client.force_login(user_with_role(roles.UNDERWRITER))
    body = client.get(reverse("origination:communication-panel", args=[application.pk])).content.decode()
    assert "When do we close?" in body
    assert "(borrower)" in body
    note = body.split('data-testid="internal-note"')[1].split("</li>")[0]
    assert INTERNAL in note
    assert "Internal note" in note


def test_staff_post_message_and_internal_note(client, django_capture_on_commit_callbacks):
    application = borrower_application()
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:message-post", args=[application.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": INTERNAL, "is_internal": "on"})
    assert response.status_code == 302
    assert response.url == reverse("origination:application-detail", args=[application.pk])
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "We received your documents."})
    assert [m.to for m in mail.outbox] == [[application.applicant.email]]
    assert list(Message.objects.order_by("id").values_list("is_internal", flat=True)) == [True, False]
    for email in mail.outbox:
        assert INTERNAL not in email.body
        assert INTERNAL not in email.subject


def test_empty_message_rerenders_with_the_error(client):
    application = ApplicationFactory()
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(reverse("origination:message-post", args=[application.pk]), {"body": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Message.objects.exists()


def test_create_and_complete_a_task(client):
    application = ApplicationFactory()
    processor = user_with_role(roles.PROCESSOR, first_name="Paula", last_name="Proc")
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:communication-panel", args=[application.pk])).content.decode()
    assert "Paula Proc" in body  # in the assignee choices
    response = client.post(
        reverse("origination:task-create", args=[application.pk]),
        {"title": "Order title search", "assignee": processor.pk, "due_on": "2026-11-20"},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.assignee, task.due_on) == (processor, date(2026, 11, 20))
    response = client.post(reverse("origination:task-complete", args=[application.pk, task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None
    response = client.post(reverse("origination:task-complete", args=[application.pk, task.pk]))
    assert response.status_code == 409
    assert "already done" in response.content.decode()
    done_at = task.done_at
    task.refresh_from_db()
    assert task.done_at == done_at  # the refused second completion did not move it
    assert AuditEvent.objects.filter(verb="task.completed").count() == 1


def test_task_for_a_borrower_is_refused_by_the_form(client):
    application = borrower_application()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    response = client.post(
        reverse("origination:task-create", args=[application.pk]),
        {"title": "Upload stuff", "assignee": application.applicant.pk},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Task.objects.exists()


def test_completing_a_task_of_another_application_is_404(client):
    application = ApplicationFactory()
    task = TaskFactory()
    client.force_login(user_with_role(roles.PROCESSOR))
    assert client.post(reverse("origination:task-complete", args=[application.pk, task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_my_tasks_lists_my_open_tasks_oldest_due_first(client):
    me = user_with_role(roles.PROCESSOR)
    today = timezone.localdate()
    later = TaskFactory(assignee=me, due_on=today + timedelta(days=5), title="Later one")
    overdue = TaskFactory(assignee=me, due_on=today - timedelta(days=2), title="Overdue one")
    TaskFactory(assignee=me, title="Finished one", done_at=timezone.now())
    TaskFactory(title="Not mine")
    client.force_login(me)
    body = client.get(reverse("origination:my-tasks")).content.decode()
    assert body.index("Overdue one") < body.index("Later one")
    assert "Finished one" not in body
    assert "Not mine" not in body
    assert "text-danger" in body
    # Completing from the list comes back to the list (a local "next" only).
    url = reverse("origination:task-complete", args=[overdue.application_id, overdue.pk])
    response = client.post(url, {"next": reverse("origination:my-tasks")})
    assert response.url == reverse("origination:my-tasks")
    url = reverse("origination:task-complete", args=[later.application_id, later.pk])
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.url == reverse("origination:application-detail", args=[later.application_id])
    assert 'data-testid="my-tasks-empty"' in client.get(reverse("origination:my-tasks")).content.decode()
    overdue.refresh_from_db()
    later.refresh_from_db()
    assert (overdue.done_at is not None, later.done_at is not None) == (True, True)


def test_my_tasks_queries_do_not_grow(client, django_assert_max_num_queries):
    me = user_with_role(roles.UNDERWRITER)
    client.force_login(me)
    TaskFactory(assignee=me, due_on=date(2026, 11, 1))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("origination:my-tasks"))
    for n in range(20):
        TaskFactory(assignee=me, due_on=date(2026, 11, 2) + timedelta(days=n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("origination:my-tasks"))
    assert response.content.decode().count("btn-outline-success") == 21


def test_staff_panel_queries_do_not_grow(client, django_assert_max_num_queries):
    application = borrower_application()
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:communication-panel", args=[application.pk])
    MessageFactory(application=application)
    TaskFactory(application=application)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(10):
        MessageFactory(application=application, is_internal=n % 2 == 0)
        MessageFactory(application=application, author=application.applicant)
        TaskFactory(application=application, due_on=date(2026, 11, 1) + timedelta(days=n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# --- borrower --------------------------------------------------------------------------------------------


def test_borrower_messages_panel_access(client):
    application = borrower_application()
    url = reverse("origination_portal:messages-panel", args=[application.pk])
    client.force_login(application.applicant)
    assert client.get(url).status_code == 200
    other = borrower_application()
    assert client.get(reverse("origination_portal:messages-panel", args=[other.pk])).status_code == 404
    assert client.post(reverse("origination_portal:message-post", args=[other.pk]), {"body": "x"}).status_code == 404
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(url).status_code == 403
    assert client.post(reverse("origination_portal:message-post", args=[application.pk])).status_code == 403
    client.logout()
    assert _login_url(client.get(url))
    assert _login_url(client.post(reverse("origination_portal:message-post", args=[application.pk])))
    assert not Message.objects.exists()


def test_borrower_never_sees_internal_notes(client):
    application = borrower_application()
    MessageFactory(application=application, body="Welcome aboard!")
    MessageFactory(application=application, body=INTERNAL, is_internal=True)
    client.force_login(application.applicant)
    body = client.get(reverse("origination_portal:messages-panel", args=[application.pk])).content.decode()
    assert "Welcome aboard!" in body
    assert INTERNAL not in body
    assert "Internal" not in body
    page = client.get(reverse("origination_portal:application", args=[application.pk])).content.decode()
    assert INTERNAL not in page


def test_borrower_posts_a_message_never_internal(client, django_capture_on_commit_callbacks):
    application = borrower_application(loan_officer=user_with_role(roles.LOAN_OFFICER))
    client.force_login(application.applicant)
    url = reverse("origination_portal:message-post", args=[application.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Is my rate locked?", "is_internal": "on"})
    assert response.status_code == 302
    assert response.url == reverse("origination_portal:application", args=[application.pk])
    message = Message.objects.get()
    assert (message.author, message.is_internal) == (application.applicant, False)
    assert [m.to for m in mail.outbox] == [[application.loan_officer.email]]
    body = client.get(reverse("origination_portal:messages-panel", args=[application.pk])).content.decode()
    assert "Is my rate locked?" in body
    assert "You ·" in body


def test_borrower_empty_message_rerenders_with_the_error(client):
    application = borrower_application()
    client.force_login(application.applicant)
    response = client.post(reverse("origination_portal:message-post", args=[application.pk]), {"body": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Message.objects.exists()


def test_borrower_panel_queries_do_not_grow(client, django_assert_max_num_queries):
    application = borrower_application()
    client.force_login(application.applicant)
    url = reverse("origination_portal:messages-panel", args=[application.pk])
    MessageFactory(application=application)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(10):
        MessageFactory(application=application)
        MessageFactory(application=application, author=application.applicant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
