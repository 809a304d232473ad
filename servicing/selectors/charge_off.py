"""Charge-off reads: a loan's charge-off section on its collections page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lending.finance.money import ZERO
from servicing.models import ChargeOff, LoanAccount, Recovery
from servicing.services.charge_off import ChargeOffFigures, charge_off_figures


@dataclass
class ChargeOffSection:
    loan: LoanAccount
    charge_off: ChargeOff | None
    recoveries: list[Recovery]
    figures: ChargeOffFigures  # what charging it off now would write off (an active loan)

    @property
    def recovered(self) -> Decimal:
        return sum((r.amount for r in self.recoveries), ZERO)

    @property
    def unrecovered(self) -> Decimal:
        return self.charge_off.loss - self.recovered if self.charge_off else ZERO


def charge_off_section(loan: LoanAccount) -> ChargeOffSection:
    """The loan's charge-off (with who did it) and its recoveries, oldest first: no query for a loan that is not
    charged off, two for one that is."""
    if loan.status != LoanAccount.Status.CHARGED_OFF:
        return ChargeOffSection(loan=loan, charge_off=None, recoveries=[], figures=charge_off_figures(loan))
    charge_off = ChargeOff.objects.select_related("charged_off_by").filter(loan=loan).first()
    recoveries = list(Recovery.objects.filter(loan=loan).select_related("posted_by").order_by("received_on", "id"))
    return ChargeOffSection(loan=loan, charge_off=charge_off, recoveries=recoveries, figures=charge_off_figures(loan))
