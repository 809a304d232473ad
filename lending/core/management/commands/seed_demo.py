from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from lending.core import roles
from lending.core.demo import demo_seed

# Apps add their demo data in `<app>/demo.py` with `demo_seed(*, stdout) -> None`, run in dependency order.
# Looked up by name so the core layer never imports the apps above it.
DEMO_APPS = ("origination", "servicing", "crm")


class Command(BaseCommand):
    help = "Load demo data (one user per role, two borrowers, and each app's demo data). Safe to run again."

    def handle(self, *args, **options):
        rows = demo_seed()
        created = sum(1 for _, was_created in rows if was_created)
        self.stdout.write(f"Demo users ready ({created} created, {len(rows) - created} already there).")
        for label in DEMO_APPS:
            if not apps.is_installed(label):
                continue
            try:
                module = import_module(f"{label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{label}.demo":
                    raise
                continue
            module.demo_seed(stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {settings.LENDING_DEMO_PASSWORD})")
        for demo, _ in rows:
            self.stdout.write(f"  {roles.ROLE_LABELS[demo.role]:<13} {demo.email}")
