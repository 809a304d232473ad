"""Activities on the timeline, tasks, and the morning reminder (one email per officer, idempotent)."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm.models import Activity, Task
from crm.services.activities import activity_log, task_complete, task_create, task_reminders_send
from crm.tasks import task_reminders
from tests.crm.factories import LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)


def test_a_logged_call_is_on_the_timeline_and_stamps_the_first_contact(officer):
    lead = LeadFactory(officer=officer)
    activity_log(actor=officer, lead=lead, kind="call", subject="  Left a  voicemail ")
    lead.refresh_from_db()
    assert lead.first_contacted_at is not None
    assert Activity.objects.get(lead=lead).subject == "Left a voicemail"


def test_a_note_is_not_a_contact_made(officer):
    lead = LeadFactory(officer=officer)
    activity_log(actor=officer, lead=lead, kind="note", subject="Prefers texts")
    lead.refresh_from_db()
    assert lead.first_contacted_at is None


def test_only_calls_emails_meetings_and_notes_are_logged_by_hand(officer):
    with pytest.raises(ValidationError) as exc:
        activity_log(actor=officer, lead=LeadFactory(officer=officer), kind="status_update", subject="Funded")
    assert exc.value.message_dict == {"kind": ["Choose call, email, meeting or note."]}


def test_tasks_go_to_the_leads_officer_and_another_officer_cannot_add_one(officer, other_officer, manager):
    lead = LeadFactory(officer=officer)
    task = task_create(actor=manager, lead=lead, title="Send rate sheet", due_date=TODAY)
    assert task.assigned_to == officer
    with pytest.raises(PermissionDenied):
        task_create(actor=other_officer, lead=lead, title="Poach", due_date=TODAY)


def test_reminders_email_each_officer_once_with_their_tasks_due_today(
    officer, other_officer, django_capture_on_commit_callbacks
):
    mine = LeadFactory(officer=officer, contact__first_name="Ana", contact__last_name="Lopez")
    TaskFactory(lead=mine, title="Call Ana", due_date=TODAY)
    TaskFactory(lead=mine, title="Send checklist", due_date=TODAY)
    TaskFactory(lead=mine, title="Tomorrow's", due_date=TODAY + timedelta(days=1))
    TaskFactory(lead=mine, title="Quiet", due_date=TODAY, remind=False)
    done = TaskFactory(lead=mine, title="Done already", due_date=TODAY)
    task_complete(actor=officer, task=done)
    TaskFactory(lead=LeadFactory(officer=other_officer), title="Oscar's", due_date=TODAY)

    with django_capture_on_commit_callbacks(execute=True):
        assert task_reminders_send(today=TODAY) == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert by_recipient["olive@lending.test"].subject == "2 CRM follow-ups due today"
    body = by_recipient["olive@lending.test"].body
    assert f"- Call Ana (lead #{mine.pk}: Ana Lopez)" in body
    assert "Send checklist" in body
    assert "Tomorrow's" not in body
    assert "Quiet" not in body
    assert "Done already" not in body
    assert by_recipient["oscar@lending.test"].subject == "1 CRM follow-up due today"

    # The beat task running again the same morning sends nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert task_reminders_send(today=TODAY) == 0
    assert len(mail.outbox) == 2
    assert Task.objects.filter(reminded_on=TODAY).count() == 3


def test_the_beat_task_uses_todays_date(officer, django_capture_on_commit_callbacks):
    TaskFactory(lead=LeadFactory(officer=officer), due_date=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        assert task_reminders.delay().get() == 1
    assert len(mail.outbox) == 1


def test_the_morning_reminder_runs_on_the_beat_at_seven(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["crm-task-reminders"]
    assert entry["task"] == "crm.task_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {0})
