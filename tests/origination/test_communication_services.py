"""Communication services: who may post, internal notes, tasks, and emails sent only on commit."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from lending.core import roles
from lending.core.models import AuditEvent
from origination.selectors import communication as thread_reads
from origination.services import communication as service
from origination.services.workflow import application_transition
from origination.tasks import notify_new_message, notify_status_changed
from tests.core.factories import user_with_role
from tests.origination.factories import complete_application
from tests.origination.factories_communication import TaskFactory
from tests.origination.factories_documents import borrower_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_application():
    return borrower_application(
        loan_officer=user_with_role(roles.LOAN_OFFICER, email="lo@lending.test"),
        processor=user_with_role(roles.PROCESSOR, email="proc@lending.test"),
        underwriter=user_with_role(roles.UNDERWRITER, email="uw@lending.test"),
    )


def test_staff_message_emails_the_borrower_on_commit_only(django_capture_on_commit_callbacks, team_application):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = service.message_post(
            actor=team_application.loan_officer, application=team_application, body="Please call me about rates."
        )
    assert mail.outbox == []  # nothing before commit
    assert len(callbacks) == 1
    callbacks[0]()
    [email] = mail.outbox
    assert email.to == [team_application.applicant.email]
    assert team_application.number in email.subject
    assert "Please call me" not in email.body  # no message content in email: the borrower signs in to read it
    assert f"/portal/applications/{team_application.pk}/" in email.body
    assert AuditEvent.objects.get(verb="message.posted").after == {
        "message": message.pk,
        "is_internal": False,
        "from_borrower": False,
    }


def test_borrower_message_emails_the_assigned_team(django_capture_on_commit_callbacks, team_application):
    with django_capture_on_commit_callbacks(execute=True):
        service.message_post(actor=team_application.applicant, application=team_application, body="Question")
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "lo@lending.test",
        "proc@lending.test",
        "uw@lending.test",
    ]
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert f"/staff/origination/applications/{team_application.pk}/" in mail.outbox[0].body


def test_internal_notes_never_email_anyone(django_capture_on_commit_callbacks, team_application):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = service.message_post(
            actor=team_application.processor,
            application=team_application,
            body="SECRET: borrower's VOE looks shaky",
            is_internal=True,
        )
    assert callbacks == []
    assert mail.outbox == []
    # Even if something enqueued it by mistake, the task sends nothing for an internal note.
    assert notify_new_message.delay(message.pk).get() == 0
    assert mail.outbox == []


def test_borrowers_cannot_post_internal_notes_or_on_other_applications(team_application):
    with pytest.raises(PermissionDenied):
        service.message_post(actor=team_application.applicant, application=team_application, body="x", is_internal=True)
    with pytest.raises(PermissionDenied):
        service.message_post(actor=user_with_role(roles.BORROWER), application=team_application, body="hello")
    with pytest.raises(PermissionDenied):
        service.message_post(actor=user_with_role(roles.SERVICER), application=team_application, body="hello")
    assert not team_application.messages.exists()


def test_empty_or_huge_messages_are_refused(team_application):
    with pytest.raises(service.CommunicationError, match="Write a message"):
        service.message_post(actor=team_application.applicant, application=team_application, body="  \n ")
    with pytest.raises(service.CommunicationError, match="under 10,000"):
        service.message_post(actor=team_application.applicant, application=team_application, body="x" * 10_001)


def test_status_changes_email_the_borrower(django_capture_on_commit_callbacks):
    borrower = user_with_role(roles.BORROWER)
    application = complete_application(applicant=borrower)
    officer = user_with_role(roles.LOAN_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(application=application, name="submit", actor=officer)
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(application=application, name="start_processing", actor=officer)
    assert [m.subject for m in mail.outbox] == [
        f"Application {application.number}: submitted",
        f"Application {application.number}: processing",
    ]
    assert all(m.to == [borrower.email] for m in mail.outbox)
    assert "The status of application" in mail.outbox[1].body
    assert "Processing" in mail.outbox[1].body


def test_status_email_is_skipped_when_the_application_moved_on(team_application):
    assert notify_status_changed.delay(team_application.pk, "approved").get() == 0
    assert mail.outbox == []


def test_borrower_without_portal_account_is_emailed_at_the_primary_borrower_address(django_capture_on_commit_callbacks):
    application = complete_application(applicant=None)
    primary = application.borrowers.get()
    with django_capture_on_commit_callbacks(execute=True):
        service.message_post(actor=user_with_role(roles.LOAN_OFFICER), application=application, body="Hi")
    assert mail.outbox[0].to == [primary.email]


def test_task_create_and_complete(team_application):
    officer = team_application.loan_officer
    task = service.task_create(
        actor=officer,
        application=team_application,
        title="  Order the appraisal ",
        assignee=team_application.processor,
        due_on=None,
    )
    assert (task.title, task.assignee, task.created_by, task.done_at) == (
        "Order the appraisal",
        team_application.processor,
        officer,
        None,
    )
    assert AuditEvent.objects.get(verb="task.created").after["assignee"] == "proc@lending.test"
    done = service.task_complete(actor=team_application.processor, task=task)
    assert done.done_at is not None
    assert AuditEvent.objects.filter(verb="task.completed").count() == 1
    with pytest.raises(service.CommunicationError, match="already done"):
        service.task_complete(actor=officer, task=task)


def test_tasks_are_staff_only_and_assigned_to_origination_staff(team_application):
    officer = team_application.loan_officer
    for assignee in (team_application.applicant, user_with_role(roles.SERVICER)):
        with pytest.raises(service.CommunicationError, match="origination staff"):
            service.task_create(
                actor=officer, application=team_application, title="Call", assignee=assignee, due_on=None
            )
    with pytest.raises(service.CommunicationError, match="needs a title"):
        service.task_create(actor=officer, application=team_application, title=" ", assignee=officer, due_on=None)
    with pytest.raises(PermissionDenied):
        service.task_create(
            actor=team_application.applicant,
            application=team_application,
            title="Hack",
            assignee=officer,
            due_on=None,
        )
    with pytest.raises(PermissionDenied):
        service.task_complete(actor=user_with_role(roles.COLLECTOR), task=TaskFactory(application=team_application))


def test_my_open_tasks_oldest_due_first_undated_last():
    from datetime import date

    me = user_with_role(roles.PROCESSOR)
    later = TaskFactory(assignee=me, due_on=date(2026, 12, 1))
    undated = TaskFactory(assignee=me, due_on=None)
    sooner = TaskFactory(assignee=me, due_on=date(2026, 11, 1))
    TaskFactory(assignee=me, due_on=date(2026, 10, 1), done_at="2026-10-01T12:00:00Z")
    TaskFactory(due_on=date(2026, 9, 1))  # someone else's
    assert list(thread_reads.tasks_open_for_user(user=me)) == [sooner, later, undated]
