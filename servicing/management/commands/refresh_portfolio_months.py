from django.core.management.base import BaseCommand

from servicing.services.portfolio_months import months_all, portfolio_months_refresh


class Command(BaseCommand):
    help = "Recompute the reports' monthly portfolio figures: the months changed since the last refresh, or --all."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Rebuild every month from the first journal entry.")

    def handle(self, *args, **options):
        months = portfolio_months_refresh(actor=None, months=months_all() if options["all"] else None)
        self.stdout.write(f"Portfolio months refreshed: {len(months)}.")
