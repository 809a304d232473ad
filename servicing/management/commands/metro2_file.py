"""Write a month's Metro 2 file (header, a base segment per reported loan, trailer) to a file or stdout. Loans whose
record fails a check are withheld from the file and listed on stderr, field by field (never their SSN)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.metro2.accounts import months_back
from servicing.metro2.file import Metro2Summary
from servicing.selectors.metro2 import metro2_end, metro2_file_lines


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 -- a calendar month, not a moment
    except ValueError as exc:
        raise CommandError(f"--month: {text!r} is not a month as YYYY-MM.") from exc


class Command(BaseCommand):
    help = "Write the Metro 2 file of --month (YYYY-MM; default: last month) for the credit bureaus."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month reported, YYYY-MM (default: the month before this one).")
        parser.add_argument("--output", help="Write the file here (default: standard output).")

    def handle(self, *args, month: str | None = None, output: str | None = None, **options):
        today = timezone.localdate()
        first = _month(month) if month else months_back(today, 1).replace(day=1)
        if first > today:
            raise CommandError(f"--month: {first:%Y-%m} has not begun.")
        summary = Metro2Summary(end=metro2_end(first))
        lines = metro2_file_lines(month=first, summary=summary)
        if output:
            with open(output, "w", encoding="ascii", newline="\n") as handle:
                handle.writelines(lines)
        else:
            for line in lines:
                self.stdout.write(line, ending="")
        for account in summary.withheld:
            for error in account.errors:
                self.stderr.write(f"{account.account_number}: {error} (withheld)")
        where = output or "standard output"
        self.stderr.write(
            f"Metro 2 file of {first:%Y-%m}: {summary.base_records} account{'' if summary.base_records == 1 else 's'} "
            f"written to {where}, "
            f"{summary.withheld_count} withheld."
        )
