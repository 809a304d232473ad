"""The close of business as the workers run it: a step begins, its chunks run, it ends, the next one starts.

The tasks in ``servicing.tasks`` call these functions (``runner`` starts a run and enqueues the first step). Each
step's chunks are a Celery chord whose callback ends the step, so no task ever waits on another. A step row's
``attempt`` rises each time the step begins: a chunk or callback of an earlier attempt (a run killed, started again,
and the old message then redelivered) writes and counts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from celery import chord
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lending.core.collector import collector_paused
from lending.core.services import audit_record
from servicing.models import NightlyLoanError, NightlyRun, NightlyStatus, NightlyStepRun
from servicing.services.nightly import base

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[NightlyStepRun], None]
# Under Celery eager the chunks run inside ``runner.nightly_run``: this is how they report progress to its caller.
_progress_listener: ContextVar[ProgressCallback | None] = ContextVar("nightly_progress_listener", default=None)


@contextmanager
def progress_listener(callback: ProgressCallback | None) -> Iterator[None]:
    """Send the progress of the steps run in this process (Celery eager) to ``callback`` while the block runs."""
    token = _progress_listener.set(callback)
    try:
        yield
    finally:
        _progress_listener.reset(token)


def _touch(run_id: int) -> None:
    NightlyRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())


def step_dispatch(run_id: int, names: list[str], then: list[str]) -> None:
    """Begin step ``names[0]`` of the run and fire its chunks as a chord whose callback finishes the step."""
    from servicing import tasks

    if not names:  # no step registered: nothing to do for the date
        _run_after(run_id, then)
        return
    step_run_id, attempt, chunks = step_begin(run_id, names[0])
    if not chunks:
        step_after(step_run_id, run_id, names[1:], then, attempt)
        return
    finish = tasks.nightly_step_finish.si(step_run_id, run_id, names[1:], then, attempt)
    chord(tasks.nightly_chunk.si(step_run_id, chunk, attempt) for chunk in chunks)(finish)


@transaction.atomic
def step_begin(run_id: int, name: str) -> tuple[int, int, list[list[int]]]:
    """Count the step's pending loans and split them into chunks. ``total`` is what was done before (an earlier,
    killed attempt) plus what is pending now; the last attempt's error rows go (their loans are pending again).
    Returns the step row's id, its new attempt number and the chunks."""
    row = NightlyStepRun.objects.select_for_update().select_related("run").get(run_id=run_id, name=name)
    row.errors.all().delete()
    now = timezone.now()
    row.status = NightlyStatus.RUNNING
    row.started_at, row.finished_at, row.duration = now, None, None
    row.error_count, row.message = 0, ""
    row.attempt += 1
    ids: list[int] = []
    try:
        step = base.step_class(name)()
        with transaction.atomic():
            ids = list(step.pending_loan_ids(row.run.business_date))
        size = max(1, step.chunk_size)
    except Exception as exc:  # a broken step fails on its own row; the run goes on to the next step
        logger.exception("nightly step %s could not list its loans", name)
        row.message = f"{type(exc).__name__}: {exc}"[:1000]
        size = 1
    row.total = row.done + len(ids)
    row.attempt_pending = len(ids)
    row.save()
    _touch(run_id)
    return row.pk, row.attempt, [ids[i : i + size] for i in range(0, len(ids), size)]


class _StaleAttempt(Exception):
    """The step began again since this chunk was sent (a restart after a killed run): the new attempt owns it."""


def step_chunk_run(step_run_id: int, loan_ids: list[int], attempt: int) -> dict[str, int]:
    """Do one chunk in one transaction, with its progress counted in the same transaction (so a killed worker's
    chunk leaves neither writes nor counts). A chunk that raises despite ``isolate`` fails all its loans. A chunk
    of an earlier attempt (redelivered after its run was restarted) rolls back and counts nothing."""
    row = NightlyStepRun.objects.select_related("run__started_by").get(pk=step_run_id)
    business_date, actor = row.run.business_date, row.run.started_by
    try:
        try:
            with collector_paused(), transaction.atomic():
                result = base.step_class(row.name)().run_chunk(business_date, loan_ids, actor)
                _chunk_record(row, result, attempt)
        except _StaleAttempt:
            raise
        except Exception as exc:  # the chunk's loans are errors; the other chunks go on
            logger.exception("nightly step %s: a chunk of %d loans failed", row.name, len(loan_ids))
            message = f"{type(exc).__name__}: {exc}"[:1000]
            result = base.ChunkResult(errors=[base.LoanError(loan_id, message) for loan_id in loan_ids])
            with transaction.atomic():
                _chunk_record(row, result, attempt)
    except _StaleAttempt:
        logger.warning("nightly step %s: a chunk of attempt %d came after a restart; ignored", row.name, attempt)
        return {"done": 0, "errors": 0, "stale": len(loan_ids)}
    _notify(step_run_id)
    return {"done": result.done, "errors": len(result.errors)}


def _notify(step_run_id: int) -> None:
    """Tell ``nightly_run``'s caller how the step stands, when the step runs in its process (Celery eager)."""
    listener = _progress_listener.get()
    if listener is not None:
        listener(NightlyStepRun.objects.get(pk=step_run_id))


def _chunk_record(row: NightlyStepRun, result: base.ChunkResult, attempt: int) -> None:
    counted = NightlyStepRun.objects.filter(pk=row.pk, attempt=attempt).update(
        done=F("done") + result.done, error_count=F("error_count") + len(result.errors)
    )
    if not counted:
        raise _StaleAttempt
    if result.errors:
        NightlyLoanError.objects.bulk_create(
            NightlyLoanError(step=row, loan_id=error.loan_id, message=error.message) for error in result.errors
        )
    _touch(row.run_id)


def step_after(step_run_id: int, run_id: int, names_left: list[str], then: list[str], attempt: int) -> None:
    """Close the step, then enqueue the next one, or close the run and start the next date of a catch-up. The
    callback of an earlier attempt (its run was restarted) does nothing: the new attempt carries on."""
    from servicing import tasks

    if step_end(step_run_id, attempt) is None:
        return
    _notify(step_run_id)
    if names_left:
        tasks.nightly_step_start.delay(run_id, names_left, then)
        return
    _run_after(run_id, then)


def _run_after(run_id: int, then: list[str]) -> None:
    run = run_end(run_id)
    if then:
        _start_next_date(run, then)


@transaction.atomic
def step_end(step_run_id: int, attempt: int) -> NightlyStepRun | None:
    row = NightlyStepRun.objects.select_for_update().get(pk=step_run_id)
    if row.attempt != attempt:
        return None
    failed = row.error_count > 0 or bool(row.message)
    row.status = NightlyStatus.FAILED if failed else NightlyStatus.COMPLETED
    row.finished_at = timezone.now()
    row.duration = row.finished_at - row.started_at if row.started_at else None
    row.save(update_fields=["status", "finished_at", "duration"])
    return row


@transaction.atomic
def run_end(run_id: int) -> NightlyRun:
    """The run is failed when a step failed, completed when every step is, and otherwise pending: ``--step`` ran
    one step of a date whose other steps have not run (the date is not closed, and stays due)."""
    run = NightlyRun.objects.select_for_update().get(pk=run_id)
    registered = {step.name for step in base.steps_in_order()}  # a step taken out of the code no longer counts
    rows = [row for row in run.steps.all() if row.name in registered]
    if any(row.status == NightlyStatus.FAILED for row in rows):
        run.status = NightlyStatus.FAILED
    elif all(row.status == NightlyStatus.COMPLETED for row in rows):
        run.status = NightlyStatus.COMPLETED
    else:
        run.status = NightlyStatus.PENDING
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    audit_record(
        actor=run.started_by,
        verb="nightly.run_finished",
        target=run,
        before={"status": NightlyStatus.RUNNING},
        after={
            "status": run.status,
            "steps": {row.name: {"status": row.status, "done": row.done, "total": row.total} for row in rows},
            "errors": sum(row.error_count for row in rows),
        },
    )
    return run


def _start_next_date(run: NightlyRun, then: list[str]) -> None:
    from servicing.services.nightly.runner import NightlyRunRefused, nightly_run_start  # runner enqueues us

    following = [date.fromisoformat(day) for day in then]
    try:
        nightly_run_start(business_date=following[0], actor=run.started_by, trigger=run.trigger, then=following[1:])
    except NightlyRunRefused:  # someone else is running that date; they carry on from there
        logger.warning("nightly catch-up stopped before %s: its run is in progress", following[0], exc_info=True)
