"""Make the day's print batch: ``manage.py print_batch [--date D]`` (default: today).

Collects every paper document not yet printed into one combined PDF and a manifest CSV (a ``PrintBatch``, one per
date). Running it again for a date that has its batch changes nothing (``servicing.services.print_batches``).
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicing.services.nightly import runner
from servicing.services.print_batches import print_batch_run


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = "Make the print batch of the paper documents waiting (one combined PDF and a manifest per date)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=_date, help="The batch's date (YYYY-MM-DD); default: today.")

    def handle(self, *args, **options):
        day = options["date"] or runner.local_today()
        batch = print_batch_run(business_date=day, actor=None)
        if batch is None:
            self.stdout.write(f"Print batch {day}: nothing to print.")
            return
        self.stdout.write(
            f"Print batch {day}: {batch.document_count} document{'s' if batch.document_count != 1 else ''}, "
            f"{batch.page_count} page{'s' if batch.page_count != 1 else ''} (batch {batch.pk})."
        )
