"""The plans tests' shared set-up: the day plans are approved (``APPROVED``) and a late payment's "today", a
delinquent loan, a collector and a manager. A file needing other days defines its own ``_today``."""

from __future__ import annotations

from datetime import date

import pytest

from lending.core import roles
from servicing.models import LoanAccount
from servicing.services import payments, plans
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import APPROVED


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))
    monkeypatch.setattr(plans, "_today", lambda: APPROVED)


@pytest.fixture
def loan() -> LoanAccount:
    return delinquent_loan()


@pytest.fixture
def collector():
    return user_with_role(roles.COLLECTOR)


@pytest.fixture
def manager():
    return user_with_role(roles.MANAGER)
