"""The demo's charged-off loan (servicing.demo_nightly.charge_off_demo_seed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from servicing import selectors
from servicing.demo_nightly import CHARGED_OFF_LOAN, charge_off_demo_seed
from servicing.models import ChargeOff, Recovery
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db
LAST_NIGHT = date(2026, 12, 3)


def test_the_demo_charges_off_a_loan_200_days_late_with_a_recovery_once(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 4))
    assert charge_off_demo_seed(last_night=LAST_NIGHT) is None  # no demo manager yet
    manager = user_with_role(roles.MANAGER, email="manager@lending.test")
    loan = charge_off_demo_seed(last_night=LAST_NIGHT)
    assert loan is not None
    loan.refresh_from_db()
    assert (loan.loan_number, loan.status, loan.principal_balance) == (CHARGED_OFF_LOAN, "charged_off", Decimal("0.00"))
    charge_off = ChargeOff.objects.get(loan=loan)
    assert (charge_off.charged_off_on, charge_off.days_past_due, charge_off.charged_off_by) == (
        LAST_NIGHT,
        200,
        manager,
    )
    assert charge_off.loss == charge_off.principal + charge_off.interest + charge_off.fees
    assert Recovery.objects.get(loan=loan).amount == Decimal("1500.00")
    assert selectors.loan_balance_mismatches() == []
    assert charge_off_demo_seed(last_night=LAST_NIGHT) is None  # done once
