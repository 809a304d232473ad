"""Record bounced campaign emails from a bounce list: a CSV of ``email,reason`` (a header row is allowed), as
a mail provider's bounce export gives. Each bounce stops that contact's campaigns. Repeating it is harmless."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.services.campaign_sending import campaign_bounce_record


class Command(BaseCommand):
    help = "Record bounced campaign emails from a CSV of email,reason."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        now = timezone.now()
        recorded = unknown = 0
        for row in rows:
            if not row or "@" not in row[0]:
                continue  # blank line or header
            reason = row[1].strip() if len(row) > 1 else "Bounced"
            send = campaign_bounce_record(actor=None, email=row[0].strip(), reason=reason, now=now)
            recorded += send is not None
            unknown += send is None
        self.stdout.write(f"{recorded} bounce(s) recorded; {unknown} address(es) we sent nothing to.")
