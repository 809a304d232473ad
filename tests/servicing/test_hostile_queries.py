"""A loan's own pages (schedule, history, ledger, payoff) take hostile query values without a 500, for staff and
for the borrower (issue 9, item 16; the list pages without arguments are in tests/core/test_hostile_filters.py)."""

import pytest

from lending.core import roles
from tests.core.factories import UserFactory
from tests.core.test_hostile_filters import hostile_failures, url_routes
from tests.servicing.factories_portal import borrower_loan

pytestmark = pytest.mark.django_db
PK = "<int:pk>"


def loan_routes(prefix: str) -> list[str]:
    return [route for route in url_routes(allowed=frozenset({PK})) if route.startswith(prefix) and PK in route]


def test_the_loan_pages_are_discovered():
    assert "/staff/servicing/loans/<int:pk>/schedule/" in loan_routes("/staff/servicing/loans/")
    assert "/portal/loans/<int:pk>/history/" in loan_routes("/portal/loans/")


def test_no_query_value_makes_a_500_on_a_loans_pages(client):
    """Each page must open (200) for its user first, so the hostile values reach the view, not a 403."""
    loan = borrower_loan(consumer=True)
    client.raise_request_exception = False
    client.force_login(UserFactory(roles=list(roles.STAFF_ROLES), is_staff=True))
    failures = []
    assert client.get(f"/staff/servicing/loans/{loan.pk}/schedule/").status_code == 200
    for route in loan_routes("/staff/servicing/loans/"):
        failures += hostile_failures(client, route.replace(PK, str(loan.pk)), keys=("page", "quote", "q"))
    client.force_login(loan.borrower)
    assert client.get(f"/portal/loans/{loan.pk}/history/").status_code == 200
    for route in loan_routes("/portal/loans/"):
        failures += hostile_failures(client, route.replace(PK, str(loan.pk)), keys=("page", "quote"))
    assert failures == []
