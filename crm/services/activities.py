"""The contact's timeline (calls, emails, meetings, notes) and the officer's follow-up tasks with reminders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crm.models import Activity, Lead, Task
from crm.services.leads import lead_first_contact_mark, require_lead_access
from lending.core.models import User
from lending.core.services import audit_record

LOGGABLE = (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING, Activity.Kind.NOTE)
# A logged call, email or meeting is a contact made: it stamps the lead's first contact.
CONTACT_MADE = (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING)


@transaction.atomic
def activity_log(*, actor: User, lead: Lead, kind: str, subject: str, body: str = "") -> Activity:
    """An officer records a call, email, meeting or note on the lead's contact timeline."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    require_lead_access(actor, locked)
    if kind not in LOGGABLE:
        raise ValidationError({"kind": "Choose call, email, meeting or note."})
    subject = " ".join(subject.split())
    if not subject:
        raise ValidationError({"subject": "Say what happened."})
    activity = Activity.objects.create(
        contact_id=locked.contact_id, lead=locked, kind=kind, subject=subject[:200], body=body, actor=actor
    )
    if kind in CONTACT_MADE:
        lead_first_contact_mark(locked)
    return activity


@transaction.atomic
def task_create(*, actor: User, lead: Lead, title: str, due_date: date, notes: str = "", remind: bool = True) -> Task:
    """A follow-up for the lead's officer (or the actor when the lead has none)."""
    require_lead_access(actor, lead)
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Say what needs doing."})
    task = Task.objects.create(
        lead=lead,
        assigned_to_id=lead.officer_id or actor.pk,
        title=title[:200],
        notes=notes,
        due_date=due_date,
        remind=remind,
        created_by=actor,
    )
    audit_record(actor=actor, verb="crm.task_created", target=task, after={"lead": lead.pk, "due": due_date})
    return task


@transaction.atomic
def task_complete(*, actor: User, task: Task) -> Task:
    locked = Task.objects.select_for_update().select_related("lead").get(pk=task.pk)
    require_lead_access(actor, locked.lead)
    if locked.done_at is None:
        locked.done_at = timezone.now()
        locked.save(update_fields=["done_at"])
        audit_record(actor=actor, verb="crm.task_completed", target=locked)
    return locked


def _reminder_body(tasks: list[Task]) -> str:
    lines = [f"- {t.title} (lead #{t.lead_id}: {t.lead.contact.full_name})" for t in tasks]
    url = f"{settings.LENDING_SITE_URL.rstrip('/')}/staff/crm/tasks/"
    return "Your CRM follow-ups due today:\n\n" + "\n".join(lines) + f"\n\nSee them all: {url}\n"


def _reminder_sender(email: str, tasks: list[Task]) -> Callable[[], None]:
    subject = f"{len(tasks)} CRM follow-up{'s' if len(tasks) != 1 else ''} due today"
    body = _reminder_body(tasks)

    def send() -> None:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[email])

    return send


def task_reminders_send(*, today: date) -> int:
    """Email each officer one list of their open tasks due ``today``, and mark those tasks reminded. Idempotent:
    a task is claimed (``reminded_on`` set) before its email, so a second run the same day sends nothing.
    Returns the number of emails sent."""
    sent = 0
    officer_ids = (
        Task.objects.filter(due_date=today, done_at__isnull=True, remind=True, reminded_on__isnull=True)
        .values_list("assigned_to_id", flat=True)
        .distinct()
    )
    for officer_id in list(officer_ids):
        with transaction.atomic():
            tasks = list(
                Task.objects.select_for_update(of=("self",))
                .select_related("lead__contact", "assigned_to")
                .filter(
                    assigned_to_id=officer_id,
                    due_date=today,
                    done_at__isnull=True,
                    remind=True,
                    reminded_on__isnull=True,
                )
                .order_by("pk")
            )
            if not tasks:
                continue
            Task.objects.filter(pk__in=[t.pk for t in tasks]).update(reminded_on=today)
            officer = tasks[0].assigned_to
            if officer.is_active and officer.email:
                transaction.on_commit(_reminder_sender(officer.email, tasks))
                sent += 1
    return sent
