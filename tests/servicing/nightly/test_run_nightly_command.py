"""``manage.py run_nightly``: which dates, a progress bar per step, the summary, the exit code, bad input."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from servicing.models import NightlyRun
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.runner_support import (
    LAST_CLOSABLE,
    MARK,
    AfterStep,
    MarkStep,
    marked,
    test_steps,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(test_steps.__name__)]


@pytest.fixture
def loans():
    return sorted((boarded_loan(consumer=True) for _ in range(5)), key=lambda loan: loan.pk)


def _call(*args):
    out = StringIO()
    call_command("run_nightly", *args, stdout=out)
    return out.getvalue().splitlines()


def _without_seconds(lines):
    return [line.rsplit("  ", 1)[0] if line.endswith(" s") else line for line in lines]


def test_without_a_date_it_closes_the_last_business_day_with_a_bar_per_step_and_a_summary(loans):
    lines = _call()

    # 5 loans in chunks of 2: 2/5 = 40 % of a 30-wide bar = 12 '#', 4/5 = 24 '#', 5/5 = 30 '#'
    assert lines[:5] == [
        "Close of business 2026-03-11",
        "  Mark loans                 [" + "#" * 12 + "." * 18 + "]       2/5 loans",
        "  Mark loans                 [" + "#" * 24 + "." * 6 + "]       4/5 loans",
        "  Mark loans                 [" + "#" * 30 + "]       5/5 loans",
        "  Mark loans again           [" + "#" * 30 + "]       5/5 loans",
    ]
    assert lines[5].startswith("2026-03-11: completed in ")
    assert _without_seconds(lines[6:]) == [
        "  Mark loans                 completed        5 of 5 loans  0 errors",
        "  Mark loans again           completed        5 of 5 loans  0 errors",
        "Ran 1 date: 1 done, 0 failed.",
    ]
    run = NightlyRun.objects.get()
    assert (run.business_date, run.trigger, run.status) == (LAST_CLOSABLE, "command", "completed")


def test_date_through_closes_each_business_day_in_order(loans):
    lines = _call("--date", "2026-03-06", "--through", "2026-03-09")

    # Friday 6th and Monday 9th; the weekend is not a business day
    assert [line for line in lines if line.startswith("Close of business")] == [
        "Close of business 2026-03-06",
        "Close of business 2026-03-09",
    ]
    assert lines[-1] == "Ran 2 dates: 2 done, 0 failed."
    assert list(NightlyRun.objects.order_by("pk").values_list("business_date", flat=True)) == [
        date(2026, 3, 6),
        date(2026, 3, 9),
    ]
    assert marked(MARK, date(2026, 3, 9)) == [loan.pk for loan in loans]


def test_step_runs_only_that_step(loans):
    _call("--date", "2026-03-11", "--step", "test_mark")

    assert len(MarkStep.calls) == 3
    assert AfterStep.calls == []
    run = NightlyRun.objects.get()
    assert run.status == "pending"  # the other step never ran: the date is not closed, and stays due
    assert list(run.steps.values_list("name", "status")) == [("test_mark", "completed"), ("test_after", "pending")]


def test_a_failed_date_is_summarised_and_the_command_exits_with_an_error(loans):
    MarkStep.fail_ids = {loans[0].pk}
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("run_nightly", stdout=out)

    assert str(failed.value) == "Failed: 2026-03-11. The loans in error are listed on /staff/jobs/."
    lines = out.getvalue().splitlines()
    assert lines[1] == "  Mark loans                 [" + "#" * 12 + "." * 18 + "]       2/5 loans  1 error"
    assert "  Mark loans                 failed           4 of 5 loans  1 errors" in _without_seconds(lines)
    assert lines[-1] == "Ran 1 date: 0 done, 1 failed."


def test_rerunning_a_closed_date_shows_empty_steps_and_writes_nothing(loans):
    _call()
    MarkStep.calls.clear()
    lines = _call("--date", "2026-03-11")
    assert lines[:3] == [
        "Close of business 2026-03-11",
        "  Mark loans                 [" + "#" * 30 + "]       5/5 loans",
        "  Mark loans again           [" + "#" * 30 + "]       5/5 loans",
    ]
    assert MarkStep.calls == []  # nothing pending: no chunk
    assert len(marked(MARK, LAST_CLOSABLE)) == 5
    # The summary says the rerun did none of them: the 5 were done by the first run.
    assert _without_seconds(lines[4:]) == [
        "  Mark loans                 completed        5 of 5 loans (0 new)  0 errors",
        "  Mark loans again           completed        5 of 5 loans (0 new)  0 errors",
        "Ran 1 date: 1 done, 0 failed.",
    ]


def test_nothing_due_says_so(loans):
    _call()
    assert _call() == ["Nothing to close: every business date through 2026-03-11 is closed."]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-02-30"], "'2026-02-30' is not a date: use YYYY-MM-DD."),
        (["--through", "2026-03-11"], "--through needs --date."),
        (["--date", "2026-03-11", "--through", "2026-03-10"], "--through must not be before --date."),
        (["--date", "2026-03-08"], "2026-03-08 is not a business day."),
        (
            ["--date", "2026-03-12"],
            "2026-03-12 has not been closed yet: the latest date that can run is 2026-03-11.",
        ),
        (["--step", "nope"], "Unknown step 'nope' (steps: test_mark, test_after)."),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(args, message):
    with pytest.raises(CommandError) as refused:
        _call(*args)
    assert str(refused.value).endswith(message)
    assert NightlyRun.objects.count() == 0


class _Terminal(StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_each_bar_redraws_in_place_and_each_step_keeps_its_line(loans):
    out = _Terminal()
    call_command("run_nightly", stdout=out)

    bar = "  Mark loans                 [{}]       {}/5 loans"
    expected = (
        "Close of business 2026-03-11\n"
        + "\r"
        + bar.format("#" * 12 + "." * 18, 2)
        + "\r"
        + bar.format("#" * 24 + "." * 6, 4)
        + "\r"
        + bar.format("#" * 30, 5)
        + "\n"  # the next step starts a line of its own
        + "\r  Mark loans again           ["
        + "#" * 30
        + "]       5/5 loans"
        + "\n"
        + "2026-03-11: completed in "
    )
    assert out.getvalue().startswith(expected)
