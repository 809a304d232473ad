"""The close-of-business runner (Celery eager, SQLite or PostgreSQL) with two test steps: chunks, progress counts,
per-loan errors, reruns, crash-restart, which dates are due and the catch-up in order."""

import gc
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.utils import timezone

from lending.core.models import AuditEvent
from servicing.models import NightlyLoanError, NightlyRun, NightlyStepRun
from servicing.services.nightly import execution, runner
from servicing.services.nightly.runner import NightlyRunRefused, nightly_dates_due, nightly_run
from servicing.tasks import nightly_close
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.runner_support import (
    AFTER,
    LAST_CLOSABLE,
    MARK,
    TODAY,
    AfterStep,
    MarkStep,
    marked,
    test_steps,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(test_steps.__name__)]
COMMAND = NightlyRun.Trigger.COMMAND


@pytest.fixture
def loans():
    return sorted((boarded_loan(consumer=True) for _ in range(5)), key=lambda loan: loan.pk)


def _ids(loans):
    return [loan.pk for loan in loans]


def _run(day=LAST_CLOSABLE, **kwargs):
    return nightly_run(business_date=day, actor=None, trigger=COMMAND, today=TODAY, **kwargs)


def _step(run, name):
    return NightlyStepRun.objects.get(run=run, name=name)


def _counts(row):
    return (row.status, row.done, row.total, row.error_count)


def test_a_run_does_every_loan_in_chunks_of_the_step_size_and_counts_progress(loans):
    ids = _ids(loans)
    seen = []

    run = _run(on_progress=lambda row: seen.append((row.name, row.status, row.done, row.total)))

    # chunk_size 2 over 5 loans: 2 + 2 + 1; the second step (chunk_size 10) takes them in one chunk, after the first
    assert MarkStep.calls == [ids[0:2], ids[2:4], ids[4:5]]
    assert AfterStep.calls == [ids]
    assert marked(MARK, LAST_CLOSABLE) == ids
    assert marked(AFTER, LAST_CLOSABLE) == ids
    # after each chunk, then when the step is closed
    assert seen == [
        ("test_mark", "running", 2, 5),
        ("test_mark", "running", 4, 5),
        ("test_mark", "running", 5, 5),
        ("test_mark", "completed", 5, 5),
        ("test_after", "running", 5, 5),
        ("test_after", "completed", 5, 5),
    ]
    assert run.status == "completed"
    assert run.started_at <= run.finished_at
    assert _counts(_step(run, "test_mark")) == ("completed", 5, 5, 0)
    assert _counts(_step(run, "test_after")) == ("completed", 5, 5, 0)
    assert [row.position for row in run.steps.all()] == [1, 2]
    assert _step(run, "test_mark").duration is not None
    verbs = list(AuditEvent.objects.filter(verb__startswith="nightly.").order_by("pk").values_list("verb", flat=True))
    assert verbs == ["nightly.run_started", "nightly.run_finished"]
    finished = AuditEvent.objects.get(verb="nightly.run_finished")
    assert finished.actor_label == "system"
    assert finished.after["status"] == "completed"
    assert finished.after["steps"]["test_mark"] == {"status": "completed", "done": 5, "total": 5}


def test_a_failing_loan_gets_an_error_row_while_the_others_and_the_later_steps_go_on(loans):
    ids = _ids(loans)
    MarkStep.fail_ids = {ids[2]}

    run = _run()

    # the chunk [3rd, 4th] fails as a whole, then loan by loan: the 4th is done, the 3rd is the error
    assert marked(MARK, LAST_CLOSABLE) == [ids[0], ids[1], ids[3], ids[4]]
    error = NightlyLoanError.objects.get()
    assert (error.step.name, error.loan_id) == ("test_mark", ids[2])
    assert error.message == f"ValueError: loan {ids[2]} cannot be marked"
    assert _counts(_step(run, "test_mark")) == ("failed", 4, 5, 1)
    assert _counts(_step(run, "test_after")) == ("completed", 5, 5, 0)
    assert run.status == "failed"


def test_rerunning_the_failed_step_only_retries_its_failed_loan(loans):
    ids = _ids(loans)
    MarkStep.fail_ids = {ids[2]}
    _run()
    MarkStep.fail_ids = set()
    MarkStep.calls.clear()
    AfterStep.calls.clear()

    run = _run(only_step="test_mark")

    assert MarkStep.calls == [[ids[2]]]
    assert AfterStep.calls == []
    assert sorted(marked(MARK, LAST_CLOSABLE)) == ids
    assert _counts(_step(run, "test_mark")) == ("completed", 5, 5, 0)
    assert NightlyLoanError.objects.count() == 0
    assert run.status == "completed"


def test_rerunning_a_completed_date_writes_nothing_new(loans):
    first = _run()
    marks = AuditEvent.objects.filter(verb__in=[MARK, AFTER]).count()
    MarkStep.calls.clear()

    again = _run()

    assert again.pk == first.pk
    assert MarkStep.calls == []  # nothing pending: no chunk at all
    assert AuditEvent.objects.filter(verb__in=[MARK, AFTER]).count() == marks == 10
    assert _counts(_step(again, "test_mark")) == ("completed", 5, 5, 0)
    assert again.status == "completed"
    assert NightlyRun.objects.count() == 1


class KilledMidStep(BaseException):
    """Stands in for kill -9: nothing in the process catches it."""


def test_a_run_killed_mid_step_finishes_only_the_loans_not_done_when_started_again(loans, monkeypatch, settings):
    ids = _ids(loans)
    real_run_chunk = MarkStep.run_chunk

    chunks_begun = []

    def dies_on_the_second_chunk(self, business_date, loan_ids, actor):
        chunks_begun.append(loan_ids)
        if len(chunks_begun) == 2:  # once only: the restarted run goes through
            raise KilledMidStep
        return real_run_chunk(self, business_date, loan_ids, actor)

    monkeypatch.setattr(MarkStep, "run_chunk", dies_on_the_second_chunk)
    with pytest.raises(KilledMidStep):
        _run()
    run = NightlyRun.objects.get()
    assert run.status == "running"
    assert _counts(_step(run, "test_mark")) == ("running", 2, 5, 0)  # the first chunk committed, with its count
    with pytest.raises(NightlyRunRefused, match="already running"):
        _run()  # too soon: it may still be running somewhere

    settings.NIGHTLY_STALE_AFTER = 0  # no progress for longer than that: it was killed
    MarkStep.calls.clear()
    run = _run()

    assert MarkStep.calls == [ids[2:4], ids[4:5]]
    assert marked(MARK, LAST_CLOSABLE) == ids  # each loan once
    assert _counts(_step(run, "test_mark")) == ("completed", 5, 5, 0)
    assert run.status == "completed"


def test_a_chunk_that_raises_outside_isolate_fails_its_loans_and_the_other_chunks_go_on(loans, monkeypatch):
    ids = _ids(loans)
    real_run_chunk = MarkStep.run_chunk

    def broken_for_the_first_chunk(self, business_date, loan_ids, actor):
        if loan_ids == ids[0:2]:
            raise RuntimeError("lost the database connection")
        return real_run_chunk(self, business_date, loan_ids, actor)

    monkeypatch.setattr(MarkStep, "run_chunk", broken_for_the_first_chunk)
    run = _run()

    assert marked(MARK, LAST_CLOSABLE) == ids[2:]
    errors = NightlyLoanError.objects.order_by("loan_id")
    assert [(e.loan_id, e.message) for e in errors] == [
        (pk, "RuntimeError: lost the database connection") for pk in ids[:2]
    ]
    assert _counts(_step(run, "test_mark")) == ("failed", 3, 5, 2)


def test_a_step_that_cannot_list_its_loans_fails_and_the_next_step_still_runs(loans, monkeypatch):
    def broken(self, business_date):
        raise LookupError("no such table")

    monkeypatch.setattr(MarkStep, "pending_loan_ids", broken)
    run = _run()

    row = _step(run, "test_mark")
    assert _counts(row) == ("failed", 0, 0, 0)
    assert row.message == "LookupError: no such table"
    assert _counts(_step(run, "test_after")) == ("completed", 5, 5, 0)
    assert run.status == "failed"


def _completed(day):
    return NightlyRun.objects.create(business_date=day, status="completed", trigger=COMMAND)


def test_with_no_run_yet_the_due_date_is_the_last_business_day_that_has_ended():
    assert nightly_dates_due(TODAY) == [LAST_CLOSABLE]  # Thursday 12th: Wednesday 11th
    assert nightly_dates_due(date(2026, 3, 16)) == [date(2026, 3, 13)]  # Monday: Friday, over the weekend
    assert nightly_dates_due(date(2026, 1, 20)) == [date(2026, 1, 16)]  # Tuesday after MLK Day: the Friday before


def test_missed_dates_catch_up_from_the_last_completed_run_skipping_weekends_and_a_failed_run_is_retried():
    _completed(date(2026, 3, 5))
    NightlyRun.objects.create(business_date=date(2026, 3, 6), status="failed", trigger=COMMAND)
    # Friday 6th failed: it is due again; the weekend 7th-8th is not a business day
    assert nightly_dates_due(TODAY) == [date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10), LAST_CLOSABLE]
    _completed(LAST_CLOSABLE)
    assert nightly_dates_due(TODAY) == []


def test_the_beat_task_runs_every_missed_date_in_order(loans):
    _completed(date(2026, 3, 6))

    assert nightly_close() == ["2026-03-09", "2026-03-10", "2026-03-11"]

    started = AuditEvent.objects.filter(verb="nightly.run_started").order_by("pk")
    days = list(NightlyRun.objects.filter(pk__in=[int(e.target_id) for e in started]).values_list("business_date"))
    assert sorted(days) == [(date(2026, 3, d),) for d in (9, 10, 11)]
    assert [NightlyRun.objects.get(pk=int(e.target_id)).business_date.day for e in started] == [9, 10, 11]
    for day in (9, 10, 11):
        run = NightlyRun.objects.get(business_date=date(2026, 3, day))
        assert (run.status, run.trigger, run.started_by) == ("completed", "beat", None)
        assert marked(MARK, run.business_date) == _ids(loans)
    assert nightly_dates_due(TODAY) == []
    assert nightly_close() == []


@pytest.mark.parametrize(
    ("day", "step", "message"),
    [
        (date(2026, 3, 7), None, "2026-03-07 is not a business day."),
        (TODAY, None, "2026-03-12 has not been closed yet: the latest date that can run is 2026-03-11."),
        (LAST_CLOSABLE, "interest_typo", "Unknown step 'interest_typo' (steps: test_mark, test_after)."),
    ],
)
def test_a_bad_date_or_step_is_refused_and_writes_nothing(day, step, message):
    with pytest.raises(NightlyRunRefused) as refused:
        _run(day, only_step=step)
    assert refused.value.message == message
    assert refused.value.field == ("step" if step else "business_date")
    assert NightlyRun.objects.count() == 0


def test_a_run_in_progress_is_refused_until_it_stops_making_progress(settings):
    NightlyRun.objects.create(business_date=LAST_CLOSABLE, status="running", trigger=COMMAND)
    with pytest.raises(NightlyRunRefused, match="already running"):
        _run()
    NightlyRun.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=settings.NIGHTLY_STALE_AFTER + 1))
    assert _run().status == "completed"


def test_the_actor_who_started_the_run_is_recorded_and_passed_to_the_steps(loans):
    from lending.core import roles
    from tests.core.factories import user_with_role

    manager = user_with_role(roles.MANAGER)
    run = nightly_run(business_date=LAST_CLOSABLE, actor=manager, trigger=NightlyRun.Trigger.STAFF, today=TODAY)
    assert (run.started_by, run.trigger) == (manager, "staff")
    assert set(AuditEvent.objects.filter(verb=MARK).values_list("actor", flat=True)) == {manager.pk}
    assert runner.nightly_dates_due(TODAY) == []


def test_beat_starts_the_close_of_business_at_one_in_the_morning_local_time(settings):
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["servicing-nightly"]
    assert entry["task"] == "servicing.nightly_close"
    assert entry["schedule"] == crontab(hour=1, minute=0)
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_with_no_step_registered_a_run_completes_at_once(monkeypatch):
    from servicing.services.nightly import base

    monkeypatch.setattr(base, "STEPS", {})
    run = _run()
    assert (run.status, run.steps.count()) == ("completed", 0)
    assert nightly_dates_due(TODAY) == []


def test_a_step_taken_out_of_the_code_no_longer_keeps_its_runs_from_completing(loans, monkeypatch):
    from servicing.services.nightly import base

    MarkStep.fail_ids = {_ids(loans)[0]}
    assert _run().status == "failed"
    monkeypatch.delitem(base.STEPS, MarkStep.name)
    run = _run()
    assert run.status == "completed"
    assert _step(run, "test_mark").status == "failed"  # its row stays, as it was


def test_a_chunk_or_callback_of_an_earlier_attempt_writes_and_counts_nothing(loans):
    ids = _ids(loans)
    MarkStep.fail_ids = {ids[0]}
    run = _run()
    row = _step(run, "test_mark")
    assert (row.attempt, _counts(row)) == (1, ("failed", 4, 5, 1))
    MarkStep.fail_ids = set()
    audits = AuditEvent.objects.count()

    # what a worker would do with a message of attempt 0 redelivered after the step began again
    assert execution.step_chunk_run(row.pk, [ids[0]], 0) == {"done": 0, "errors": 0, "stale": 1}
    execution.step_after(row.pk, run.pk, [], [], 0)

    assert marked(MARK, LAST_CLOSABLE) == ids[1:]  # the stale chunk's mark rolled back
    row.refresh_from_db()
    assert _counts(row) == ("failed", 4, 5, 1)
    assert AuditEvent.objects.count() == audits  # the stale callback closed no run
    assert NightlyRun.objects.get().status == "failed"


def test_a_worker_process_finds_every_step_by_name_without_importing_the_steps_itself():
    # A Celery worker imports the tasks (servicing/apps.py), never the step modules: the bench's first run on a
    # real worker failed every step with KeyError until the lookup imported them.
    script = (
        "import django; django.setup()\n"
        "from servicing import tasks  # what a worker imports\n"
        "from servicing.services.nightly import base\n"
        "print(sorted(base.STEPS), [base.step_class(n).name for n in base.ORDER])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lending.settings"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    order = [
        "interest",
        "plans",
        "billing",
        "ach",
        "late_fees",
        "delinquency",
        "early_intervention",
        "escrow",
        "statements",
        "promises",
        "month_end",
    ]
    assert done.stdout.strip() == f"[] {order}"


def test_chunks_run_with_the_cycle_collector_off_and_leave_it_on_even_when_one_raises(loans, monkeypatch):
    seen = []
    real = MarkStep.run_chunk

    def run_chunk(self, business_date, loan_ids, actor):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("outside isolate")
        return real(self, business_date, loan_ids, actor)

    monkeypatch.setattr(MarkStep, "run_chunk", run_chunk)
    run = _run()
    assert seen == [False, False, False]  # 5 loans in chunks of 2
    assert gc.isenabled()
    assert _counts(_step(run, "test_mark")) == ("failed", 3, 5, 2)
