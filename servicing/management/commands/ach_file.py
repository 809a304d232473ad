"""Make the NACHA file of the ACH debits settling on a date that are in no file yet, record it as sent, and write
it to a file or stdout; or write a recorded file again (``--again``), byte for byte. While the sandbox processor
is in use the File Header's reference code says SANDBOX."""

from __future__ import annotations

import string
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.models import AchFile
from servicing.services.ach import AchError
from servicing.services.ach_files import ach_file_create


class Command(BaseCommand):
    help = (
        "Make and record the NACHA file of the ACH debits settling on --date (default today) that no earlier file "
        "holds; --again ID writes a recorded file again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="Settlement date, YYYY-MM-DD (default: today).")
        parser.add_argument("--output", help="Write the file here (default: standard output).")
        parser.add_argument(
            "--file-id-modifier", help="A-Z or 0-9 (default: the next one free today): tells apart files of one day."
        )
        parser.add_argument("--again", type=int, metavar="ID", help="Write the recorded file ID again, as sent.")

    def handle(self, *args, day=None, output=None, file_id_modifier=None, again=None, **options):
        made = self._again(again) if again is not None else self._make(day, file_id_modifier)
        if output:
            with open(output, "w", encoding="ascii", newline="\n") as handle:
                handle.write(made.content)
            count = made.entry_count
            self.stderr.write(
                f"Wrote {output}: ACH file {made.pk} ({made.file_id_modifier}), {count} entr"
                f"{'y' if count == 1 else 'ies'} settling {made.settlement_date}."
            )
        else:
            self.stdout.write(made.content, ending="")

    def _make(self, day: str | None, file_id_modifier: str | None) -> AchFile:
        settlement_date = self._date(day)
        if file_id_modifier is not None:
            file_id_modifier = file_id_modifier.upper()
            if len(file_id_modifier) != 1 or file_id_modifier not in string.ascii_uppercase + string.digits:
                raise CommandError("--file-id-modifier is one letter (A-Z) or digit.")
        try:
            return ach_file_create(settlement_date=settlement_date, actor=None, file_id_modifier=file_id_modifier)
        except AchError as exc:
            raise CommandError(f"No NACHA file was made: {exc.message}.") from exc

    @staticmethod
    def _again(pk: int) -> AchFile:
        try:
            return AchFile.objects.get(pk=pk)
        except AchFile.DoesNotExist:
            raise CommandError(f"--again: there is no ACH file {pk}.") from None

    @staticmethod
    def _date(value: str | None) -> date:
        if not value:
            return timezone.localdate()
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {value!r}") from None
