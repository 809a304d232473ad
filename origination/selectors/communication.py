"""Reads for the communication pages (selectors): every query a communication panel or download needs."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.http import Http404

from lending.core.compiled import CompiledPages, CompiledRows
from lending.core.models import User
from lending.core.selectors import users_with_roles
from origination import selectors
from origination.models import Application, Message, Task


def thread_for_staff(*, application: Application) -> QuerySet[Message]:
    return application.messages.select_related("author").order_by("created_at", "id")


def thread_for_borrower(*, application: Application) -> QuerySet[Message]:
    return application.messages.filter(is_internal=False).select_related("author").order_by("created_at", "id")


def tasks_for_application(*, application: Application) -> QuerySet[Task]:
    return application.tasks.select_related("assignee").order_by(
        F("done_at").asc(nulls_first=True), F("due_on").asc(nulls_last=True), "id"
    )


def tasks_open_for_user(*, user: User) -> QuerySet[Task]:
    """The user's open tasks, oldest due first (undated last), with their application: one query."""
    return _tasks_open_of(user.pk)


def _tasks_open_of(assignee_id: int) -> QuerySet[Task]:
    return (
        Task.objects.filter(assignee_id=assignee_id, done_at__isnull=True)
        .select_related("application", "application__product", "created_by")
        .order_by(F("due_on").asc(nulls_last=True), "created_at", "id")
    )


# My tasks reads a page of them on every visit: its count and pages compiled once per process (issue 15, Load).
_MY_TASK_PAGES = CompiledPages(_tasks_open_of, assignee_id=int)


def my_task_rows(*, user: User) -> CompiledRows[Task]:
    """``tasks_open_for_user``'s rows for a Paginator, compiled once per process."""
    return _MY_TASK_PAGES.rows(assignee_id=user.pk)


def assignable_staff() -> QuerySet[User]:
    return users_with_roles(*selectors.ORIGINATION_ROLES).order_by("first_name", "last_name", "email")


def task_for_application(*, application: Application, pk: int) -> Task:
    try:
        return Task.objects.get(application=application, pk=pk)
    except Task.DoesNotExist as exc:
        raise Http404("No such task") from exc
