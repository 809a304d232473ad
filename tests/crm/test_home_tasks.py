"""The CRM home's open tasks, read by SQL compiled once per process: the rows (and their lead, contact and
assignee) the queryset it replaced gives, for a manager and for each loan officer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import selectors
from tests.crm.factories import LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _replaced(user):
    return list(selectors.tasks_open_for(user).order_by("due_date", "id")[: selectors.HOME_TASKS])


def _shown(tasks):
    return [(t.pk, t.title, t.due_date, t.lead.contact.email, t.assigned_to.email) for t in tasks]


def test_home_tasks_are_the_replaced_querysets_rows(officer, other_officer, manager):
    today = timezone.localdate()
    for n in range(8):
        for owner in (officer, other_officer):
            TaskFactory(lead=LeadFactory(officer=owner), title=f"Call {n}", due_date=today + timedelta(days=n % 3))
    done = TaskFactory(lead=LeadFactory(officer=officer), due_date=today - timedelta(days=9))
    done.done_at = timezone.now()
    done.save()
    for user in (officer, other_officer, manager, officer):  # each shape run again with other values
        found = selectors.home_tasks(user)
        assert _shown(found) == _shown(_replaced(user))
    assert len(selectors.home_tasks(manager)) == selectors.HOME_TASKS
    assert {t.assigned_to_id for t in selectors.home_tasks(officer)} == {officer.pk}
    assert done.pk not in {t.pk for t in selectors.home_tasks(manager)}
