"""``manage.py year_end --year Y``: the Form 1098 figures of every loan for calendar year Y, a borrower PDF per loan
in the portal (made once: a rerun makes none) and the servicer's CSV (servicing.services.year_end)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.services.year_end import YearEndError, form_1098_csv, year_end_run


def _today():
    return timezone.localdate()


class Command(BaseCommand):
    help = "Form 1098 for a calendar year: a borrower PDF per loan (portal) and a CSV for the servicer."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The calendar year (it must have ended).")
        parser.add_argument(
            "--csv",
            default=None,
            help="Where to write the servicer's CSV (default form_1098_<year>.csv in the current directory; - for "
            "standard output).",
        )
        parser.add_argument(
            "--allow-partial",
            action="store_true",
            help="Preview the current year's figures so far: CSV only, no borrower documents.",
        )

    def handle(self, *args, year: int, csv: str | None, allow_partial: bool, **options):
        try:
            result = year_end_run(year=year, actor=None, today=_today(), allow_partial=allow_partial)
        except YearEndError as exc:
            raise CommandError(str(exc)) from exc
        target = csv or f"form_1098_{year}.csv"
        if target == "-":
            form_1098_csv(result.forms, sys.stdout)
            where = "standard output"
        else:
            try:
                with Path(target).open("w", newline="", encoding="utf-8") as out:
                    form_1098_csv(result.forms, out)
            except OSError as exc:
                raise CommandError(f"Cannot write the CSV to {target}: {exc.strerror}") from exc
            where = target
        reportable = sum(1 for form in result.forms if form.reportable)
        (self.stderr if target == "-" else self.stdout).write(
            f"Form 1098 for {year}: {len(result.forms)} loans ({reportable} reportable to the IRS); "
            f"{result.documents_made} borrower documents made, {result.documents_existing} already stored; "
            f"CSV written to {where}."
        )
