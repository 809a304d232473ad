"""The loan-officer round robin under concurrency (PostgreSQL row locks): each start gets the next turn."""

import pytest

from lending.core import roles
from origination.models import Application
from origination.services import intake
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory
from tests.servicing.concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_applications_started_at_once_go_to_four_officers():
    officers = {user_with_role(roles.LOAN_OFFICER, email=f"lo{i}@lending.test").pk for i in range(4)}
    borrowers = [user_with_role(roles.BORROWER, email=f"b{i}@example.test") for i in range(4)]
    product = LoanProductFactory()

    errors = run_in_threads(
        4, lambda i: intake.application_start(actor=borrowers[i], product=product, purpose="purchase")
    )

    assert errors == []
    assert sorted(Application.objects.values_list("loan_officer", flat=True)) == sorted(officers)
