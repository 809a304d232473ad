"""Rebuild the month-end loan tape of past months from the delinquency history and the ledger (months the nightly
close did not write: before the tape was kept). Oldest first; a month already written is refused."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from servicing.selectors.delinquency_report import months_between
from servicing.services.month_end import month_end_rebuild


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise CommandError(f"{value!r}: expected a month, YYYY-MM.") from exc


class Command(BaseCommand):
    help = "Rebuild the month-end loan tape for --from YYYY-MM through --through YYYY-MM (default: just --from)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="First month, YYYY-MM.")
        parser.add_argument("--through", dest="last", help="Last month, YYYY-MM (default: the first).")

    def handle(self, *args, first: str, last: str | None = None, **options):
        months = months_between(_month(first), _month(last or first))
        if not months:
            raise CommandError("--through is before --from.")
        for month in months:
            try:
                loans = month_end_rebuild(month=month, actor=None)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{month:%Y-%m}: {loans} loans on the tape.")
