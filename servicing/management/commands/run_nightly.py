"""Run the close of business: ``manage.py run_nightly [--date D] [--through D2] [--step NAME]``.

Without ``--date``, every business date due (missed nights catch up in order). A progress bar per step, then a
summary per date; exit code 1 when a date failed (its errors are on the jobs page, /staff/jobs/). With a broker
(REDIS_URL) the chunks go to the Celery workers and the command polls the step rows; without one they run here.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicing.models import NightlyRun, NightlyStepRun
from servicing.services.nightly import base, runner

BAR_WIDTH = 30


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.") from exc


def progress_line(row: NightlyStepRun) -> str:
    """``Interest accrual  [###########...................]  4,000/10,000 loans  2 errors``"""
    handled = row.done + row.error_count
    filled = BAR_WIDTH * row.percent // 100
    errors = f"  {row.error_count:,} error{'s' if row.error_count != 1 else ''}" if row.error_count else ""
    return f"  {row.label:<26} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {handled:>7,}/{row.total:,} loans{errors}"


def _seconds(delta) -> str:
    return f"{delta.total_seconds():.1f} s" if delta is not None else "-"


class Command(BaseCommand):
    help = "Run the nightly close of business for a business date (default: every date due)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=_date, help="Business date to close (YYYY-MM-DD); default: every date due.")
        parser.add_argument("--through", type=_date, help="With --date: close every business day up to this one.")
        parser.add_argument("--step", help="Run only this step (e.g. to rerun a failed one): " + ", ".join(base.ORDER))

    def handle(self, *args, **options):
        dates = self._dates(options["date"], options["through"])
        if not dates:
            last = runner.last_closable_date(runner.local_today())
            self.stdout.write(f"Nothing to close: every business date through {last:%Y-%m-%d} is closed.")
            return
        failed = []
        for day in dates:
            run = self._run_one(day, options["step"])
            self._summary(run)
            if run.status == "failed":
                failed.append(day)
        done = len(dates) - len(failed)
        self.stdout.write(f"Ran {len(dates)} date{'s' if len(dates) != 1 else ''}: {done} done, {len(failed)} failed.")
        if failed:
            listed = ", ".join(f"{day:%Y-%m-%d}" for day in failed)
            raise CommandError(f"Failed: {listed}. The loans in error are listed on /staff/jobs/.")

    def _dates(self, first: date | None, through: date | None) -> list[date]:
        if through is not None and first is None:
            raise CommandError("--through needs --date.")
        if first is None:
            return runner.nightly_dates_due(runner.local_today())
        if through is None:
            return [first]
        if through < first:
            raise CommandError("--through must not be before --date.")
        return runner.business_dates_between(first, through)

    def _run_one(self, day: date, step: str | None) -> NightlyRun:
        self.stdout.write(f"Close of business {day:%Y-%m-%d}")
        tty = self.stdout.isatty()
        current: list[int] = []  # the step whose bar the terminal's last line holds
        shown: dict[int, str] = {}

        def show(row: NightlyStepRun) -> None:
            line = progress_line(row)
            if shown.get(row.pk) == line:
                return
            shown[row.pk] = line
            if not tty:
                self.stdout.write(line)
                return
            if current and current[-1] != row.pk:
                self.stdout.write("")  # the next step's bar goes on a line of its own
            current.append(row.pk)
            self.stdout.write("\r" + line, ending="")

        try:
            run = runner.nightly_run(
                business_date=day, actor=None, trigger=NightlyRun.Trigger.COMMAND, only_step=step, on_progress=show
            )
        except runner.NightlyRunRefused as refused:
            raise CommandError(refused.message) from refused
        if tty and current:
            self.stdout.write("")
        return run

    def _summary(self, run: NightlyRun) -> None:
        self.stdout.write(f"{run.business_date:%Y-%m-%d}: {run.status} in {_seconds(run.duration)}")
        for row in run.steps.all():
            self.stdout.write(
                f"  {row.label:<26} {row.status:<10} {row.done:>7,} of {row.total:,} loans{row.new_label}"
                f"  {row.error_count:,} errors  {_seconds(row.duration)}"
            )
