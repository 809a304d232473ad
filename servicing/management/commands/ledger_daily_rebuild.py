"""Recompute the per-account daily totals from the journal lines (the trigger keeps them; this repairs them)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from servicing.services.ledger_daily import ledger_daily_compact, ledger_daily_rebuild


class Command(BaseCommand):
    help = "Recompute the per-account daily totals from the journal lines, or with --compact merge them."

    def add_arguments(self, parser):
        parser.add_argument("--compact", action="store_true", help="only merge each day's rows into one")

    def handle(self, *args, **options):
        if options["compact"]:
            self.stdout.write(f"Merged {ledger_daily_compact()} account-days.")
        else:
            self.stdout.write(f"Rebuilt {ledger_daily_rebuild()} account-days from the journal.")
