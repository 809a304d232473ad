"""The runner on PostgreSQL: a step's chunks through a real Celery worker on Redis, and a run killed with SIGKILL
mid-step that, started again, finishes only the loans not yet done."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from lending.celery import app as celery_app
from servicing.models import NightlyLoanError, NightlyRun, NightlyStepRun
from servicing.services.nightly.runner import nightly_run
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

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(test_steps.__name__),
]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def loans():
    return sorted((boarded_loan(consumer=True) for _ in range(5)), key=lambda loan: loan.pk)


def _counts(name):
    row = NightlyStepRun.objects.get(name=name)
    return (row.status, row.done, row.total, row.error_count)


@pytest.mark.redis
def test_a_step_runs_its_chunks_on_a_real_worker_through_redis(loans):
    ids = [loan.pk for loan in loans]
    MarkStep.fail_ids = {ids[4]}
    seen = []
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        run = nightly_run(
            business_date=LAST_CLOSABLE,
            actor=None,
            trigger=NightlyRun.Trigger.COMMAND,
            today=TODAY,
            on_progress=lambda row: seen.append((row.name, row.status)),
        )

    # the chunks ran in the worker (its own connection), the command only polled the rows
    assert MarkStep.calls == [ids[0:2], ids[2:4], ids[4:5]]
    assert marked(MARK, LAST_CLOSABLE) == ids[:4]
    assert marked(AFTER, LAST_CLOSABLE) == ids
    assert _counts("test_mark") == ("failed", 4, 5, 1)
    assert _counts("test_after") == ("completed", 5, 5, 0)
    assert NightlyLoanError.objects.get().loan_id == ids[4]
    assert run.status == "failed"
    assert ("test_mark", "failed") in seen
    assert ("test_after", "completed") in seen


KILLED_RUN = textwrap.dedent(
    """
    import os, signal
    import django
    django.setup()
    import pytest
    from servicing.models import NightlyRun
    from servicing.services.nightly import runner
    from tests.servicing.nightly.runner_support import LAST_CLOSABLE, TODAY, MarkStep, install_test_steps

    install_test_steps(pytest.MonkeyPatch())
    real_run_chunk = MarkStep.run_chunk

    def killed_in_the_second_chunk(self, business_date, loan_ids, actor):
        result = real_run_chunk(self, business_date, loan_ids, actor)
        if len(MarkStep.calls) == 2:  # the chunk's rows are written, not committed: kill -9 now
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    MarkStep.run_chunk = killed_in_the_second_chunk
    runner.nightly_run(business_date=LAST_CLOSABLE, actor=None, trigger=NightlyRun.Trigger.COMMAND, today=TODAY)
    """
)


def _database_url():
    db = django_settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_a_run_killed_with_sigkill_mid_step_finishes_only_the_loans_left_when_started_again(loans, settings):
    ids = [loan.pk for loan in loans]
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_TASK_ALWAYS_EAGER": "1"}
    env.pop("REDIS_URL", None)
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN], cwd=ROOT, env=env, capture_output=True, timeout=120)

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    # the first chunk (2 loans) committed with its count; the second died uncommitted
    assert NightlyRun.objects.get().status == "running"
    assert _counts("test_mark") == ("running", 2, 5, 0)
    assert marked(MARK, LAST_CLOSABLE) == ids[:2]

    settings.NIGHTLY_STALE_AFTER = 0  # the killed run made no progress since: it may start again
    run = nightly_run(business_date=LAST_CLOSABLE, actor=None, trigger=NightlyRun.Trigger.COMMAND, today=TODAY)

    assert MarkStep.calls == [ids[2:4], ids[4:5]]  # only the loans not yet done
    assert marked(MARK, LAST_CLOSABLE) == ids  # each loan once
    assert _counts("test_mark") == ("completed", 5, 5, 0)
    assert AfterStep.calls == [ids]
    assert run.status == "completed"


@pytest.mark.redis
def test_beat_catches_up_missed_dates_on_a_real_worker_without_waiting_in_it(loans, monkeypatch):
    import time
    from datetime import date

    from servicing.services.nightly import runner
    from servicing.tasks import nightly_close

    NightlyRun.objects.create(business_date=date(2026, 3, 9), status="completed", trigger="command")
    monkeypatch.setattr(runner, "local_today", lambda: TODAY)
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        assert nightly_close.delay().get(timeout=30) == ["2026-03-10", "2026-03-11"]
        deadline = time.monotonic() + 120  # a loaded CI machine (xdist, Chromium) is slow
        while NightlyRun.objects.filter(status="completed").count() < 3 and time.monotonic() < deadline:
            time.sleep(0.2)

    ids = [loan.pk for loan in loans]
    for day in (date(2026, 3, 10), date(2026, 3, 11)):
        assert NightlyRun.objects.get(business_date=day).status == "completed"
        assert marked(MARK, day) == ids
        assert marked(AFTER, day) == ids
    first, second = (NightlyRun.objects.get(business_date=date(2026, 3, d)) for d in (10, 11))
    assert first.finished_at <= second.started_at  # in date order, one after the other


@pytest.mark.redis
def test_the_command_sends_the_chunks_to_the_workers_and_polls_their_progress(loans, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from servicing.services.nightly import runner

    monkeypatch.setattr(runner, "local_today", lambda: TODAY)
    out = StringIO()
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        call_command("run_nightly", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Close of business 2026-03-11"
    # polled: the last bar of each step shows all 5 loans (intermediate bars depend on the poll's timing)
    assert "  Mark loans                 [" + "#" * 30 + "]       5/5 loans" in lines
    assert "  Mark loans again           [" + "#" * 30 + "]       5/5 loans" in lines
    assert lines[-1] == "Ran 1 date: 1 done, 0 failed."
    assert marked(MARK, LAST_CLOSABLE) == [loan.pk for loan in loans]
