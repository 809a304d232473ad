"""Escrow accounts under RESPA / Regulation X, 12 CFR 1024.17, aggregate accounting (Appendix E).

Computation year: twelve monthly periods starting on ``first_payment_date``. Period ``k`` (1-12)
starts on the k-th payment date (``first_payment_date`` plus k-1 months, same day clamped to month
end) and ends the day before the next. Each period's escrow payment comes in on its first day and the
disbursements dated within it go out; the period's balance is the balance at its end, i.e. the low
point before the next payment (Appendix E's month-end balance when payments fall on the 1st).
Disbursements must be dated within the computation year (``ValueError`` otherwise).

Monthly payment (1024.17(c)(1)(ii): one-twelfth of the estimated annual disbursements): payments 1-11
are the annual total divided by 12, rounded *down* to the cent, so no month exceeds the one-twelfth
limit; payment 12 carries the rounding remainder (0 to 11 cents), so the year's payments equal the
year's disbursements exactly and the balance ends the year where it started.

Cushion (1024.17(b), (c)(1)(ii)): ``cushion_months``/12 of the annual disbursements, at most 2 months
(one-sixth), rounded down to the cent (the rule is a ceiling).

Aggregate analysis (1024.17(d)(1)(ii), (d)(2); Appendix E steps 1-3): project the trial running balance
from zero with the monthly payments and disbursements, raise it until its lowest point is zero, add the
cushion. The required starting balance is therefore ``cushion - lowest cumulative (payments -
disbursements)``, and the projection from it has its lowest balance exactly at the cushion.

Annual analysis (1024.17(b) definitions): the target balance is that required starting balance;
``surplus`` is the current balance above it, ``shortage`` the current balance (floored at zero) below
it and ``deficiency`` a negative current balance; shortage + deficiency - surplus == target - current.
Handling (1024.17(f)):

- surplus (f)(2): >= $50 refunded within 30 days of the analysis; under $50 refunded or (default here)
  credited against the next year's escrow payments, spread over 12 months; a borrower not current
  (payment not received within 30 days of its due date) -> the surplus may be retained.
- shortage (f)(3): "one month's escrow payment" is the new base monthly payment. Below it the shortage
  may be left alone (months=0), collected within 30 days (months=1) or over 2+ months; at or above it
  it may be left alone or spread in equal monthly payments over at least 12 months.
- deficiency (f)(4): below one month's payment: left alone, within 30 days, or 2+ monthly payments;
  at or above it: left alone or 2+ monthly payments; for a borrower not current the loan documents
  govern, so the month limits are not enforced.

Spread amounts: each of the first ``months - 1`` installments is the amount divided by ``months``,
rounded down to the cent; the last installment carries the remainder.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from lending.finance.daycount import add_months
from lending.finance.money import CENT, CONTEXT, ZERO, require_cents, require_non_negative_cents, to_decimal

MONTHS = 12
MAX_CUSHION_MONTHS = 2  # 1024.17(c)(1)(ii): cushion no greater than one-sixth of annual disbursements
SURPLUS_REFUND_THRESHOLD = Decimal("50.00")  # 1024.17(f)(2)(i)
REFUND_DAYS = 30  # 1024.17(f)(2)(i), (f)(3)(i)(B), (f)(4)(i)(B)

SURPLUS, SHORTAGE, DEFICIENCY, BALANCED = "surplus", "shortage", "deficiency", "balanced"


@dataclass(frozen=True, slots=True)
class EscrowDisbursement:
    """One estimated payment out of escrow (tax, insurance premium, ...)."""

    due_date: date
    amount: Decimal
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.due_date, date):
            raise ValueError(f"due_date: expected a date, got {self.due_date!r}")
        object.__setattr__(self, "amount", require_non_negative_cents(self.amount, "amount"))


@dataclass(frozen=True, slots=True)
class EscrowMonth:
    month: int  # 1-12 in the computation year
    payment_date: date  # the period's payment date (its first day)
    payment: Decimal  # escrow paid in
    disbursements: Decimal  # paid out during the period
    balance: Decimal  # at the end of the period


@dataclass(frozen=True, slots=True)
class EscrowProjection:
    """Initial escrow account statement figures (1024.17(g)) by aggregate accounting."""

    first_payment_date: date
    annual_disbursements: Decimal
    monthly_payment: Decimal  # payments 1-11
    payments: tuple[Decimal, ...]  # all 12; the 12th carries the rounding remainder
    cushion: Decimal
    initial_deposit: Decimal  # required starting balance
    lowest_balance: Decimal  # == cushion
    lowest_month: date  # payment date of the first period reaching the lowest balance
    months: tuple[EscrowMonth, ...]


@dataclass(frozen=True, slots=True)
class EscrowSpread:
    """How an amount is collected or credited: months=0 left alone, 1 within 30 days, n in n installments."""

    amount: Decimal
    months: int
    installment: Decimal  # installments 1..months-1 (the lump sum when months == 1)
    final_installment: Decimal  # installment ``months``, carrying the remainder
    due_by: date | None  # for a 30-day lump sum or refund


@dataclass(frozen=True, slots=True)
class EscrowAnalysis:
    kind: str  # surplus, shortage, deficiency (a deficiency may come with a shortage) or balanced
    analysis_date: date
    current_balance: Decimal
    target_balance: Decimal  # required starting balance
    cushion: Decimal
    annual_disbursements: Decimal
    base_monthly_payment: Decimal  # 1/12 of the annual disbursements (payments 1-11)
    lowest_projected_balance: Decimal  # from the current balance with base payments
    surplus: Decimal
    shortage: Decimal
    deficiency: Decimal
    refund: Decimal  # surplus refunded, due by ``refund_due_by``
    refund_due_by: date | None
    surplus_credit: EscrowSpread  # small surplus credited against the year's payments
    retained_surplus: Decimal  # borrower not current: kept in escrow
    shortage_collection: EscrowSpread
    deficiency_collection: EscrowSpread
    new_monthly_payment: Decimal  # base + shortage + deficiency installments - surplus credit
    payment_change: Decimal | None  # new_monthly_payment - current_monthly_payment, when given
    months: tuple[EscrowMonth, ...]  # projection from the current balance with base payments


def _spread(total: Decimal, months: int, due_by: date | None = None) -> EscrowSpread:
    """``total`` in ``months`` installments: each the rounded-down share, the last with the remainder."""
    if months == 0 or not total:
        return EscrowSpread(total, 0, ZERO, ZERO, None)  # nothing to collect, or left alone
    share = CONTEXT.divide(total, months).quantize(CENT, rounding=ROUND_DOWN)
    final = total - share * (months - 1)
    return EscrowSpread(total, months, share if months > 1 else final, final, due_by if months == 1 else None)


def _check_cushion_months(cushion_months: int | Decimal) -> Decimal:
    value = to_decimal(cushion_months, field="cushion_months")
    if not 0 <= value <= MAX_CUSHION_MONTHS:
        raise ValueError(
            f"cushion_months: must be from 0 to {MAX_CUSHION_MONTHS} (Reg X 1024.17(c)(1)(ii)), got {value}"
        )
    return value


def _check_months(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{field_name}: expected a whole number of months >= 0, got {value!r}")
    return value


def _period_starts(first_payment_date: date) -> list[date]:
    return [add_months(first_payment_date, k) for k in range(MONTHS + 1)]


def _disbursements_by_period(disbursements: Sequence[EscrowDisbursement], starts: list[date]) -> list[Decimal]:
    out = [ZERO] * MONTHS
    for index, item in enumerate(disbursements):
        if not isinstance(item, EscrowDisbursement):
            raise ValueError(f"disbursements[{index}]: expected EscrowDisbursement, got {type(item).__name__}")
        period = bisect_right(starts, item.due_date) - 1
        if not 0 <= period < MONTHS:
            raise ValueError(
                f"disbursements[{index}].due_date: {item.due_date} is outside the computation year "
                f"{starts[0]} to {starts[-1] - timedelta(days=1)}"
            )
        out[period] += item.amount
    return out


def monthly_payments(annual: Decimal) -> tuple[Decimal, ...]:
    """Twelve payments for ``annual`` disbursements: 1-11 rounded down, the 12th with the remainder."""
    spread = _spread(annual, MONTHS)
    if not spread.months:
        return (ZERO,) * MONTHS
    return (spread.installment,) * (MONTHS - 1) + (spread.final_installment,)


def cushion_amount(annual: Decimal, cushion_months: int | Decimal = MAX_CUSHION_MONTHS) -> Decimal:
    """Cushion of ``cushion_months``/12 of ``annual``, rounded down (1024.17(c)(1)(ii): at most 1/6)."""
    months = _check_cushion_months(cushion_months)
    return CONTEXT.divide(annual * months, MONTHS).quantize(CENT, rounding=ROUND_DOWN)


def _lowest_cumulative(payments: Sequence[Decimal], outflows: Sequence[Decimal]) -> Decimal:
    """Appendix E step 1: the lowest point of the trial running balance started from zero."""
    running = lowest = ZERO
    for payment, outflow in zip(payments, outflows, strict=True):
        running += payment - outflow
        lowest = min(lowest, running)
    return lowest


def _project(
    start: Decimal, starts: list[date], payments: Sequence[Decimal], outflows: Sequence[Decimal]
) -> tuple[EscrowMonth, ...]:
    months = []
    balance = start
    for k in range(MONTHS):
        balance += payments[k] - outflows[k]
        months.append(EscrowMonth(k + 1, starts[k], payments[k], outflows[k], balance))
    return tuple(months)


def _prepare(
    disbursements: Sequence[EscrowDisbursement], first_payment_date: date, cushion_months: int | Decimal
) -> tuple[list[date], list[Decimal], Decimal, tuple[Decimal, ...], Decimal]:
    if not isinstance(first_payment_date, date):
        raise ValueError(f"first_payment_date: expected a date, got {first_payment_date!r}")
    starts = _period_starts(first_payment_date)
    outflows = _disbursements_by_period(disbursements, starts)
    annual = sum(outflows, ZERO)
    return starts, outflows, annual, monthly_payments(annual), cushion_amount(annual, cushion_months)


def escrow_projection(
    disbursements: Sequence[EscrowDisbursement],
    first_payment_date: date,
    cushion_months: int | Decimal = MAX_CUSHION_MONTHS,
) -> EscrowProjection:
    """Initial escrow account statement, 1024.17(c) aggregate accounting (Appendix E, steps 1-3).

    The initial deposit is the smallest starting balance whose projection never falls below the
    cushion; the projection's lowest balance equals the cushion exactly.
    """
    if not disbursements:
        raise ValueError("disbursements: an escrow projection needs at least one disbursement")
    starts, outflows, annual, payments, cushion = _prepare(disbursements, first_payment_date, cushion_months)
    initial_deposit = cushion - _lowest_cumulative(payments, outflows)
    months = _project(initial_deposit, starts, payments, outflows)
    lowest = min(months, key=lambda month: month.balance)
    return EscrowProjection(
        first_payment_date=first_payment_date,
        annual_disbursements=annual,
        monthly_payment=payments[0],
        payments=payments,
        cushion=cushion,
        initial_deposit=initial_deposit,
        lowest_balance=lowest.balance,
        lowest_month=lowest.payment_date,
        months=months,
    )


def _kind(surplus: Decimal, shortage: Decimal, deficiency: Decimal) -> str:
    if deficiency:
        return DEFICIENCY
    if shortage:
        return SHORTAGE
    return SURPLUS if surplus else BALANCED


def _collection(
    amount: Decimal, months: int, one_month: Decimal, field_name: str, minimum_large: int, due_by: date
) -> EscrowSpread:
    """1024.17(f)(3)/(f)(4): check the chosen number of months and spread ``amount`` over it."""
    if amount and amount >= one_month and 0 < months < minimum_large:
        raise ValueError(
            f"{field_name}: {amount} is at least one month's escrow payment ({one_month}); "
            f"Reg X 1024.17(f) allows leaving it or {minimum_large}+ monthly installments, got {months}"
        )
    return _spread(amount, months, due_by)


def escrow_analysis(
    current_balance: Decimal,
    disbursements: Sequence[EscrowDisbursement],
    *,
    first_payment_date: date,
    analysis_date: date,
    cushion_months: int | Decimal = MAX_CUSHION_MONTHS,
    current_monthly_payment: Decimal | None = None,
    shortage_months: int = MONTHS,
    deficiency_months: int = MONTHS,
    borrower_current: bool = True,
    refund_small_surplus: bool = False,
) -> EscrowAnalysis:
    """Annual escrow account analysis, 1024.17(b), (d), (f); see the module docstring for the rules.

    ``current_balance`` is the balance the new computation year starts with (before the payment due
    on ``first_payment_date``); it may be negative. ``disbursements`` may be empty (escrow items gone:
    the whole balance is surplus).
    """
    current = require_cents(current_balance, "current_balance")
    if not isinstance(analysis_date, date):
        raise ValueError(f"analysis_date: expected a date, got {analysis_date!r}")
    _check_months(shortage_months, "shortage_months")
    _check_months(deficiency_months, "deficiency_months")
    current_payment = (
        None
        if current_monthly_payment is None
        else require_non_negative_cents(current_monthly_payment, "current_monthly_payment")
    )
    starts, outflows, annual, payments, cushion = _prepare(disbursements, first_payment_date, cushion_months)
    lowest_cumulative = _lowest_cumulative(payments, outflows)
    target = cushion - lowest_cumulative
    one_month = payments[0]
    due_by = analysis_date + timedelta(days=REFUND_DAYS)

    surplus = max(current - target, ZERO)
    deficiency = max(-current, ZERO)
    shortage = max(target - max(current, ZERO), ZERO)

    refund = retained = ZERO
    credit = _spread(ZERO, 0)
    if surplus and not borrower_current:
        retained = surplus  # (f)(2)(ii): may be retained per the loan documents
    elif surplus >= SURPLUS_REFUND_THRESHOLD or (surplus and refund_small_surplus):
        refund = surplus  # (f)(2)(i): within 30 days of the analysis
    elif surplus:
        credit = _spread(surplus, MONTHS)  # (f)(2)(i): credited against next year's payments

    shortage_collection = _collection(shortage, shortage_months, one_month, "shortage_months", 12, due_by)
    deficiency_minimum = 2 if borrower_current else 1  # (f)(4)(iii): else the loan documents govern
    deficiency_collection = _collection(
        deficiency, deficiency_months, one_month, "deficiency_months", deficiency_minimum, due_by
    )
    new_payment = one_month - credit.installment
    for spread in (shortage_collection, deficiency_collection):
        if spread.months > 1:
            new_payment += spread.installment
    return EscrowAnalysis(
        kind=_kind(surplus, shortage, deficiency),
        analysis_date=analysis_date,
        current_balance=current,
        target_balance=target,
        cushion=cushion,
        annual_disbursements=annual,
        base_monthly_payment=one_month,
        lowest_projected_balance=current + lowest_cumulative,
        surplus=surplus,
        shortage=shortage,
        deficiency=deficiency,
        refund=refund,
        refund_due_by=due_by if refund else None,
        surplus_credit=credit,
        retained_surplus=retained,
        shortage_collection=shortage_collection,
        deficiency_collection=deficiency_collection,
        new_monthly_payment=new_payment,
        payment_change=None if current_payment is None else new_payment - current_payment,
        months=_project(current, starts, payments, outflows),
    )
