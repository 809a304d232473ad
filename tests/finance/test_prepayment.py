"""Prepayment speed (lending.finance.prepayment): SMM and CPR against hand-computed months."""

from decimal import Decimal

import pytest

from lending.finance.prepayment import as_percent, cpr, smm


def test_smm_is_the_prepaid_share_of_what_could_prepay():
    # 2,950 / (300,000 - 500) = 2,950 / 299,500 = 0.00984974958...
    value = smm(unscheduled=Decimal("2950.00"), balance_start=Decimal("300000.00"), scheduled=Decimal("500.00"))
    assert value is not None
    assert value.quantize(Decimal("0.000000001")) == Decimal("0.009849750")
    assert as_percent(value) == Decimal("0.985")


def test_cpr_annualizes_smm():
    # 1 - (1 - 0.01)^12 = 1 - 0.99^12 = 1 - 0.886384871... = 0.113615128...
    assert cpr(Decimal("0.01")).quantize(Decimal("0.000000001")) == Decimal("0.113615128")
    assert as_percent(cpr(Decimal("0.01"))) == Decimal("11.362")
    assert cpr(Decimal("0")) == Decimal("0")
    assert cpr(Decimal("1")) == Decimal("1")  # everything prepaid in a month: the whole book a year


@pytest.mark.parametrize(("balance", "scheduled"), [("0.00", "0.00"), ("500.00", "500.00"), ("100.00", "200.00")])
def test_no_smm_when_nothing_could_prepay(balance, scheduled):
    assert smm(unscheduled=Decimal("0"), balance_start=Decimal(balance), scheduled=Decimal(scheduled)) is None


def test_as_percent_rounds_half_up():
    assert as_percent(Decimal("0.0123455")) == Decimal("1.235")  # 1.23455 -> 1.235, half up
    assert as_percent(Decimal("0.0123454")) == Decimal("1.235")
    assert as_percent(Decimal("0.0123444")) == Decimal("1.234")
    assert as_percent(Decimal("0.5"), places=1) == Decimal("50.0")
