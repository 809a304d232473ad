from django.core.management.base import BaseCommand
from django.utils import timezone

from servicing.services.roll_rates import roll_rates_keep


class Command(BaseCommand):
    help = "Keep the collections dashboard's closed months for today (what the nightly task does after the close)."

    def handle(self, *args, **options):
        kept = roll_rates_keep(today=timezone.localdate(), actor=None)
        self.stdout.write("Roll rates kept." if kept else "Roll rates already kept (or not PostgreSQL): nothing to do.")
