"""Write a calendar year's HMDA Loan/Application Register (the FFIEC pipe-delimited file) to a file or stdout.
The edits run first: with any error the command lists them and writes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from origination.hmda.report import hmda_report
from origination.hmda.spec import MAX_YEAR, MIN_YEAR


class Command(BaseCommand):
    help = "Write the HMDA Loan/Application Register of --year (transmittal row 1, a row 2 per application)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Calendar year of the final actions.")
        parser.add_argument("--output", help="Write the file here (default: standard output).")

    def handle(self, *args, year: int, output: str | None = None, **options):
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError(f"--year: {year} is not a year from {MIN_YEAR} to {MAX_YEAR}.")
        report = hmda_report(year=year)
        if not report.is_clean:
            for error in report.errors:
                self.stderr.write(f"{error.application}: {error.field}: {error.message} ({error.kind} edit)")
            raise CommandError(f"The {year} file fails {len(report.errors)} edit(s); nothing written.")
        text = report.lar.text()
        if output:
            with open(output, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            count = len(report.lar.rows)
            self.stderr.write(f"Wrote {output}: {count} application row{'' if count == 1 else 's'} for {year}.")
        else:
            self.stdout.write(text, ending="")
