"""Demo data for `make run`: one user per role and two borrowers. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from lending.core import roles
from lending.core.models import User
from lending.core.services import user_create


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    role: str


DEMO_USERS = (
    DemoUser("officer@lending.test", "Olivia", "Officer", roles.LOAN_OFFICER),
    DemoUser("processor@lending.test", "Paul", "Processor", roles.PROCESSOR),
    DemoUser("underwriter@lending.test", "Uma", "Underwriter", roles.UNDERWRITER),
    DemoUser("closer@lending.test", "Chris", "Closer", roles.CLOSER),
    DemoUser("servicer@lending.test", "Sam", "Servicer", roles.SERVICER),
    DemoUser("collector@lending.test", "Cora", "Collector", roles.COLLECTOR),
    DemoUser("manager@lending.test", "Morgan", "Manager", roles.MANAGER),
    DemoUser("accountant@lending.test", "Ada", "Accountant", roles.ACCOUNTING),
    DemoUser("alice@example.com", "Alice", "Borrower", roles.BORROWER),
    DemoUser("bob@example.com", "Bob", "Borrower", roles.BORROWER),
)


@transaction.atomic
def demo_seed() -> list[tuple[DemoUser, bool]]:
    """Create whatever demo users are missing; returns each demo user and whether it was created now."""
    existing = set(User.objects.filter(email__in=[u.email for u in DEMO_USERS]).values_list("email", flat=True))
    result = []
    for demo in DEMO_USERS:
        created = demo.email not in existing
        if created:
            user_create(
                actor=None,
                email=demo.email,
                password=settings.LENDING_DEMO_PASSWORD,
                first_name=demo.first_name,
                last_name=demo.last_name,
                role_names=(demo.role,),
            )
        result.append((demo, created))
    return result
