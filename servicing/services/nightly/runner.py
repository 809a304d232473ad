"""The close-of-business runner: a run per business date, the registered steps in order, each in Celery chunks.

How a run moves (the same code with a worker pool on Redis and inline under Celery eager):
``nightly_run_start`` claims the date's run row and enqueues ``nightly_step_start`` for the first step. That task
counts the step's pending loans, splits them into chunks of ``step.chunk_size`` and fires a chord: one
``nightly_chunk`` task per chunk (spread over every worker), then ``nightly_step_finish``, which closes the step
and enqueues the next one; after the last step the run is closed and, when catching up, the next date starts.
No task ever waits on another (no ``.get()`` in a worker). ``nightly_run`` is the blocking form for the command:
it starts the run and, with a real broker, polls the step rows for progress until the run has finished. This module
starts runs; ``execution`` is what the tasks run.

Failures: a loan a step cannot do becomes a ``NightlyLoanError`` row and the other loans go on; the step is then
"failed", and so is the run, but the later steps still run (one bad loan must not stop the portfolio's close of
business; the failed loan stays pending for its step, so rerunning that step retries only it). A run killed
mid-step (kill -9) keeps every committed chunk; started again, each step's ``pending_loan_ids`` finds only the loans
not yet done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lending.celery import app as celery_app
from lending.core import calendar
from lending.core.models import User
from lending.core.services import audit_record
from servicing.models import NightlyRun, NightlyStatus, NightlyStepRun
from servicing.services.nightly import base
from servicing.services.nightly.execution import ProgressCallback, progress_listener

POLL_SECONDS = 0.5


class NightlyRunRefused(Exception):
    """A run that cannot start: a bad date or step name, or the date's run is still in progress."""

    def __init__(self, message: str, field: str = "business_date") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- which dates -----------------------------------------------------------------------------------------


def local_today() -> date:
    """Today in the lender's time zone (one place, so tests can move it)."""
    return timezone.localdate()


def last_closable_date(today: date) -> date:
    """The latest business day that has ended: today's business is not over until tomorrow."""
    return calendar.previous_business_day(today - timedelta(days=1))


def nightly_dates_due(today: date) -> list[date]:
    """The business dates to close, in order: every business day after the last completed run up to the last
    closable one (missed nights catch up; a failed or killed date is retried). With no completed run yet, only the
    last closable business day: the close of business starts from the day it was switched on."""
    last = last_closable_date(today)
    latest = NightlyRun.objects.filter(status=NightlyStatus.COMPLETED).aggregate(latest=Max("business_date"))["latest"]
    if latest is None:
        return [last]
    dates = []
    day = latest + timedelta(days=1)
    while day <= last:
        if calendar.is_business_day(day):
            dates.append(day)
        day += timedelta(days=1)
    return dates


def business_dates_between(first: date, last: date) -> list[date]:
    """The business days from ``first`` to ``last`` inclusive (``--date D --through D2``)."""
    days = []
    day = first
    while day <= last:
        if calendar.is_business_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def validate_business_date(business_date: date, *, today: date) -> None:
    """A close of business is for a business day that has ended."""
    if not calendar.is_business_day(business_date):
        raise NightlyRunRefused(f"{business_date:%Y-%m-%d} is not a business day.")
    last = last_closable_date(today)
    if business_date > last:
        raise NightlyRunRefused(
            f"{business_date:%Y-%m-%d} has not been closed yet: the latest date that can run is {last:%Y-%m-%d}."
        )


def validate_step_name(name: str) -> None:
    if name not in {step.name for step in base.steps_in_order()}:
        known = ", ".join(step.name for step in base.steps_in_order()) or "none registered"
        raise NightlyRunRefused(f"Unknown step {name!r} (steps: {known}).", field="step")


# --- starting a run ----------------------------------------------------------------------------------------


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "NIGHTLY_STALE_AFTER", 15 * 60))


def _is_eager() -> bool:
    return bool(celery_app.conf.task_always_eager)


def _step_rows(run: NightlyRun) -> dict[str, NightlyStepRun]:
    """The run's step rows, one per registered step (created pending the first time)."""
    rows = {row.name: row for row in run.steps.all()}
    for position, step in enumerate(base.steps_in_order(), start=1):
        if step.name not in rows:
            rows[step.name] = NightlyStepRun.objects.create(
                run=run, name=step.name, label=step.label, position=position
            )
    return rows


@transaction.atomic
def _run_claim(*, business_date: date, actor: User | None, trigger: str, names: list[str]) -> NightlyRun:
    now = timezone.now()
    run, _ = NightlyRun.objects.select_for_update().get_or_create(
        business_date=business_date, defaults={"trigger": trigger}
    )
    if run.status == NightlyStatus.RUNNING and now - run.heartbeat_at < _stale_after():
        raise NightlyRunRefused(
            f"The close of business for {business_date:%Y-%m-%d} is already running "
            f"(last progress at {timezone.localtime(run.heartbeat_at):%H:%M:%S})."
        )
    before = {"status": run.status}
    run.status = NightlyStatus.RUNNING
    run.trigger = trigger
    run.started_by = actor if actor is not None and actor.pk else None
    run.started_at = run.heartbeat_at = now
    run.finished_at = None
    run.save()
    rows = _step_rows(run)
    NightlyStepRun.objects.filter(pk__in=[rows[name].pk for name in names]).update(status=NightlyStatus.PENDING)
    audit_record(
        actor=actor,
        verb="nightly.run_started",
        target=run,
        before=before,
        after={"status": run.status, "trigger": trigger, "steps": names},
    )
    return run


def nightly_run_start(
    *,
    business_date: date,
    actor: User | None,
    trigger: str,
    only_step: str | None = None,
    then: Sequence[date] = (),
    today: date | None = None,
) -> NightlyRun:
    """Claim the run for ``business_date`` and enqueue its first step; returns at once with a broker (the steps go
    on in the workers), or after the whole run under Celery eager. ``then``: dates to run after this one."""
    validate_business_date(business_date, today=today or local_today())
    if only_step is not None:
        validate_step_name(only_step)
    names = [only_step] if only_step else [step.name for step in base.steps_in_order()]
    run = _run_claim(business_date=business_date, actor=actor, trigger=trigger, names=names)
    following = [day.isoformat() for day in then]
    _enqueue(lambda: _start_step_task(run.pk, names, following))
    run.refresh_from_db()
    return run


def nightly_run(
    *,
    business_date: date,
    actor: User | None,
    trigger: str,
    only_step: str | None = None,
    on_progress: ProgressCallback | None = None,
    today: date | None = None,
) -> NightlyRun:
    """Run the close of business for ``business_date`` and wait for it to finish (the command's form).
    ``on_progress`` is called with a step row whenever its counts move."""
    with progress_listener(on_progress):
        run = nightly_run_start(
            business_date=business_date, actor=actor, trigger=trigger, only_step=only_step, today=today
        )
    if run.status == NightlyStatus.RUNNING:
        _wait_for(run, on_progress)
    run.refresh_from_db()
    return run


def nightly_catch_up(*, today: date, actor: User | None, trigger: str) -> list[date]:
    """Start the due dates in order (beat): the first now, each following one when the previous finishes."""
    dates = nightly_dates_due(today)
    if dates:
        nightly_run_start(business_date=dates[0], actor=actor, trigger=trigger, then=dates[1:], today=today)
    return dates


def _enqueue(start: Callable[[], Any]) -> None:
    """Eager: now, in this transaction (tests and ``make run``). With a broker: once the run row is committed, so
    that a worker can read it."""
    if _is_eager():
        start()
    else:
        transaction.on_commit(start)


def _start_step_task(run_id: int, names: list[str], then: list[str]) -> None:
    from servicing import tasks  # tasks call this module: import at use

    tasks.nightly_step_start.delay(run_id, names, then)


def _wait_for(run: NightlyRun, on_progress: ProgressCallback | None) -> None:
    """Poll the step rows until the workers finish the run; give up when it makes no progress for too long."""
    seen: dict[int, tuple[str, int, int, int]] = {}
    while True:
        for row in NightlyStepRun.objects.filter(run=run, started_at__gte=run.started_at):  # this attempt's steps
            key = (row.status, row.done, row.error_count, row.total)
            if seen.get(row.pk) != key:
                seen[row.pk] = key
                if on_progress is not None:
                    on_progress(row)
        run.refresh_from_db(fields=["status", "heartbeat_at"])
        if run.status != NightlyStatus.RUNNING:
            return
        if timezone.now() - run.heartbeat_at > _stale_after():
            raise NightlyRunRefused(
                f"The close of business for {run.business_date:%Y-%m-%d} made no progress for "
                f"{_stale_after()}: are the Celery workers running?"
            )
        time.sleep(POLL_SECONDS)
