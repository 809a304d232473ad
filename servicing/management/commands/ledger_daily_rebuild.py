"""Recompute the per-account daily totals from the journal lines, and the loans' balance totals and portfolio strata
from the loans (triggers keep them; this repairs them)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from servicing.services.ledger_daily import (
    ledger_daily_compact,
    ledger_daily_rebuild,
    loan_totals_compact,
    loan_totals_rebuild,
)
from servicing.services.portfolio_strata import portfolio_strata_compact, portfolio_strata_rebuild


class Command(BaseCommand):
    help = "Recompute the daily totals from the journal, the loan totals and strata from the loans; --compact merges."

    def add_arguments(self, parser):
        parser.add_argument("--compact", action="store_true", help="only merge each day's rows into one")

    def handle(self, *args, **options):
        if options["compact"]:
            self.stdout.write(
                f"Merged {ledger_daily_compact()} account-days, {loan_totals_compact()} loan total rows and "
                f"{portfolio_strata_compact()} portfolio strata rows."
            )
        else:
            self.stdout.write(f"Rebuilt {ledger_daily_rebuild()} account-days from the journal.")
            self.stdout.write(f"Rebuilt the loans' balance totals ({loan_totals_rebuild()} row) from the loans.")
            self.stdout.write(f"Rebuilt {portfolio_strata_rebuild()} portfolio strata from the loans.")
