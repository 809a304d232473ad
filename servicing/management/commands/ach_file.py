"""Write the NACHA file of the ACH payments settling on a date (PPD debits, for our bank), to a file or stdout.
While the sandbox processor is in use the File Header's reference code says SANDBOX."""

from __future__ import annotations

import string
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.ach_processor.nacha import NachaError
from servicing.selectors.ach_file import ach_file_payments, ach_file_render


class Command(BaseCommand):
    help = "Write the NACHA file of the ACH payments settling on --date (default today)."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="Settlement date, YYYY-MM-DD (default: today).")
        parser.add_argument("--output", help="Write the file here (default: standard output).")
        parser.add_argument("--file-id-modifier", default="A", help="A-Z or 0-9: tells apart files of one day.")

    def handle(self, *args, day=None, output=None, file_id_modifier="A", **options):
        day = self._date(day)
        file_id_modifier = (file_id_modifier or "").upper()
        if len(file_id_modifier) != 1 or file_id_modifier not in string.ascii_uppercase + string.digits:
            raise CommandError("--file-id-modifier is one letter (A-Z) or digit.")
        try:
            text = ach_file_render(settlement_date=day, created=timezone.localtime(), file_id_modifier=file_id_modifier)
        except NachaError as exc:
            raise CommandError(f"Cannot write the NACHA file: {exc}") from exc
        if output:
            with open(output, "w", encoding="ascii", newline="\n") as handle:
                handle.write(text)
            count = len(ach_file_payments(day))
            self.stderr.write(f"Wrote {output}: {count} entr{'y' if count == 1 else 'ies'} settling {day}.")
        else:
            self.stdout.write(text, ending="")

    @staticmethod
    def _date(value: str | None) -> date:
        if not value:
            return timezone.localdate()
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {value!r}") from None
