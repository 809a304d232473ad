from django.conf import settings
from django.core.management.base import BaseCommand

from lending.core import roles
from lending.core.demo import demo_seed


class Command(BaseCommand):
    help = "Load demo data (one user per role, two borrowers). Safe to run again: it only adds what is missing."

    def handle(self, *args, **options):
        rows = demo_seed()
        created = sum(1 for _, was_created in rows if was_created)
        self.stdout.write(f"Demo data ready ({created} users created, {len(rows) - created} already there).")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {settings.LENDING_DEMO_PASSWORD})")
        for demo, _ in rows:
            self.stdout.write(f"  {roles.ROLE_LABELS[demo.role]:<13} {demo.email}")
