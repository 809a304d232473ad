"""``demo_seed``: what ``manage.py seed_demo`` runs for origination."""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from lending.core import demo as core_demo
from lending.core.models import User
from origination.demo.catalog import apor_seed, products_seed
from origination.demo.scenarios import PEOPLE, SCENARIOS
from origination.demo.story import _Story
from origination.models import (
    Application,
    Borrower,
    Status,
)

D = Decimal


@contextmanager
def _quiet() -> Iterator[None]:
    """Demo borrowers get no email (dummy backend), and Celery's eager-task log lines stay out of the output."""
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        trace.setLevel(level)


def demo_seed(*, stdout) -> None:
    """Add what is missing of the origination demo: products, APOR rows and one application per scenario,
    each application in its own transaction (all of it or nothing). Prints one line per state."""
    started = clock.monotonic()
    emails = [d.email for d in core_demo.DEMO_USERS]
    if User.objects.filter(email__in=emails).count() < len(emails):
        core_demo.demo_seed()
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    products = {p.code: p for p in products_seed()}
    today = timezone.localdate()
    apor_added = apor_seed(today)
    existing = set(
        Borrower.objects.filter(is_primary=True, email__in=[p.email for p in PEOPLE.values()]).values_list(
            "email", "application__amount_requested"
        )
    )
    made: dict[str, list[Application]] = {}
    with _quiet():
        for scenario in SCENARIOS:
            amount = D(scenario.amount) if scenario.amount else None
            if (PEOPLE[scenario.person].email, amount) in existing:
                continue
            with transaction.atomic():
                application = _Story(scenario, users, today).run(products[scenario.product])
            made.setdefault(application.status, []).append(application)
    if not made:
        stdout.write("Origination demo data already there (nothing added).")
        return
    stdout.write(f"Origination demo: {len(products)} products, {apor_added} APOR rows added; applications by state:")
    for status, label in Status.choices:
        listed = ", ".join(f"{a.number} {a.borrowers.first()} ({a.product.name})" for a in made.get(status, ()))
        if listed:
            stdout.write(f"  {label + ':':<24}{listed}")
    count = sum(map(len, made.values()))
    stdout.write(f"Origination demo: {count} applications added in {clock.monotonic() - started:.1f} s.")
