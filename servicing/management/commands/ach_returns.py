"""Record the ACH returns the processor reports for a date (a bank's return file, days after settlement) on their
settled payments; the next nightly ACH step reverses them and charges the returned-payment fee. Idempotent: a
return recorded before changes nothing. The sandbox processor answers returns at settlement, so it reports none."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.ach_processor.base import get_processor
from servicing.services.ach_returns import ach_returns_receive


class Command(BaseCommand):
    help = "Record the ACH returns the processor reports for --date (default today)."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="YYYY-MM-DD (default: today).")

    def handle(self, *args, day=None, **options):
        try:
            on = date.fromisoformat(day) if day else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {day!r}") from None
        processor = get_processor()
        recorded = ach_returns_receive(processor=processor, on=on, actor=None)
        self.stdout.write(f"{processor.name}: {recorded} return(s) recorded for {on}.")
