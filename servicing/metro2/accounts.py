"""One loan's Metro 2 base segment as of a month end, from plain facts (``AccountFacts``) the selector reads.

Rules (CDIA Credit Reporting Resource Guide as quoted by public sources; see ``layout`` for where positions come
from):

- Account status (field 17A) counts days past the due date of the oldest unpaid payment, not missed payments:
  11 current (0-29 days), 71 30-59, 78 60-89, 80 90-119, 82 120-149, 83 150-179, 84 180 or more. A loan paid in
  full is 13, or 65 when a foreclosure had been started (referred); a charged-off loan is 97, or 64 once
  recoveries have paid the charge-off in full. 61-63 (voluntary surrender, collection agency, repossession) do
  not arise: the project has none of those events.
- Days past due on a past day come from the delinquency history (the aging writes a row when a loan changes
  bucket or status): the last row on or before the day, plus the days since when it was past due. Within the
  120+ bucket a partial payment that moves the oldest unpaid due date is not written, so 150/180 may be
  overstated by up to a month until the next row.
- Payment history profile (field 18): 24 months, position 1 the month before the month reported, going back.
  0 current, 1-6 30/60/90/120/150/180+ days, L charged off, B no history (the loan was not open, or was boarded
  from a servicing transfer after that month).
- Special comment (field 19): CP account in forbearance; CO loan modified (a permanent modification, not a
  government plan, which would be CN). Compliance condition codes (field 20, XA-XR) are for FCRA/FCBA disputes
  and closure at the consumer's request, which the project does not record: blank.
- Date of first delinquency (field 25): 30 days after the due date of the oldest unpaid payment (the day the loan
  became 30 days past due) for 71-84; for 97/64 the same date for the delinquency that led to the charge-off.
- Amounts in whole dollars, cents dropped. Current balance: principal, interest due, fees due and escrow advanced
  (0 when paid; for a charge-off, the charged-off loss less recoveries). Scheduled monthly payment: principal,
  interest and escrow of a month (0 once closed). Amount past due: the amount to bring the loan current when
  71-84; the balance when 97.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from servicing.metro2.records import Value

ZERO = Decimal("0.00")
MORTGAGE = "mortgage"
CONSUMER = "consumer"
# Portfolio type and account type (CRRG exhibits): M 26 conventional real estate mortgage; I 01 unsecured loan.
PORTFOLIO_TYPES = {MORTGAGE: ("M", "26"), CONSUMER: ("I", "01")}
TERMS_FREQUENCY = {"monthly": "M", "weekly": "W", "biweekly": "B", "semimonthly": "E", "quarterly": "Q"}
MONTHLY_FACTOR = {  # a non-monthly payment's monthly equivalent
    "monthly": Decimal(1),
    "weekly": Decimal(52) / Decimal(12),
    "biweekly": Decimal(26) / Decimal(12),
    "semimonthly": Decimal(2),
    "quarterly": Decimal(1) / Decimal(3),
}
DPD_STATUS = ((180, "84"), (150, "83"), (120, "82"), (90, "80"), (60, "78"), (30, "71"), (0, "11"))
DPD_PROFILE = ((180, "6"), (150, "5"), (120, "4"), (90, "3"), (60, "2"), (30, "1"), (0, "0"))
DELINQUENT_STATUSES = ("71", "78", "80", "82", "83", "84")
CLOSED_STATUSES = ("13", "64", "65", "97")
FORBEARANCE = "CP"
MODIFIED = "CO"
STATUS_LABELS = {
    "11": "Current",
    "13": "Paid or closed, zero balance",
    "64": "Paid in full, was a charge-off",
    "65": "Paid in full, a foreclosure was started",
    "71": "30-59 days past due",
    "78": "60-89 days past due",
    "80": "90-119 days past due",
    "82": "120-149 days past due",
    "83": "150-179 days past due",
    "84": "180 days or more past due",
    "97": "Charged off (unpaid balance reported as a loss)",
}


@dataclass(frozen=True)
class AgingPoint:
    """Days past due as aged at the close of ``as_of`` (a delinquency history row, or the loan's last aging)."""

    as_of: date
    days_past_due: int


@dataclass(frozen=True)
class Consumer:
    surname: str
    first_name: str
    middle_name: str = ""
    generation_code: str = ""
    ssn: str = ""  # digits only, or blank
    date_of_birth: date | None = None
    telephone: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    co_borrowers: int = 0

    def __repr__(self) -> str:  # never let an SSN reach a log or a traceback
        return f"Consumer({self.surname!r}, {self.first_name!r})"


@dataclass(frozen=True, kw_only=True)
class AccountFacts:
    """What a loan's base segment is made of, as read by ``servicing.selectors.metro2``."""

    loan_id: int
    account_number: str
    kind: str  # MORTGAGE or CONSUMER
    date_opened: date
    history_from: date  # the first month the servicer can furnish history for
    original_amount: Decimal
    term_periods: int
    frequency: str
    regular_payment: Decimal
    escrow_payment: Decimal
    principal_balance: Decimal
    interest_due: Decimal
    fees_due: Decimal
    escrow_balance: Decimal
    amount_to_bring_current: Decimal
    aging: tuple[AgingPoint, ...] = ()  # oldest first
    paid_off_on: date | None = None
    charged_off_on: date | None = None
    charge_off_loss: Decimal = ZERO
    charge_off_days_past_due: int = 0
    recovered: Decimal = ZERO  # recoveries received through the month end
    foreclosure_referred: bool = False
    last_payment_on: date | None = None
    paid_in_month: Decimal = ZERO
    in_forbearance: bool = False
    modified: bool = False
    consumer: Consumer | None = None


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_back(end: date, months: int) -> date:
    """The last day of the month ``months`` before ``end``'s month."""
    index = end.year * 12 + end.month - 1 - months
    return month_end(date(index // 12, index % 12 + 1, 1))


def days_past_due_on(aging: tuple[AgingPoint, ...], day: date) -> int:
    """Days past due at the close of ``day``: the last aging on or before it, carried forward a day at a time
    while the loan was past due (0 before the first aging)."""
    last = None
    for point in aging:
        if point.as_of > day:
            break
        last = point
    if last is None or last.days_past_due == 0:
        return 0
    return last.days_past_due + (day - last.as_of).days


def _code(table: tuple[tuple[int, str], ...], days: int) -> str:
    return next(code for floor, code in table if days >= floor)


def status_for_days(days: int) -> str:
    return _code(DPD_STATUS, days)


def charged_off(facts: AccountFacts, day: date) -> bool:
    return facts.charged_off_on is not None and facts.charged_off_on <= day


def paid_off(facts: AccountFacts, day: date) -> bool:
    return facts.paid_off_on is not None and facts.paid_off_on <= day


def account_status(facts: AccountFacts, end: date) -> str:
    if charged_off(facts, end):
        return "64" if facts.recovered >= facts.charge_off_loss else "97"
    if paid_off(facts, end):
        return "65" if facts.foreclosure_referred else "13"
    return status_for_days(days_past_due_on(facts.aging, end))


@functools.lru_cache(maxsize=8)
def profile_months(end: date) -> tuple[date, ...]:
    """The month ends of the profile's 24 positions (one tuple per file, not 24 date sums per account)."""
    return tuple(months_back(end, back) for back in range(1, 25))


def payment_history_profile(facts: AccountFacts, end: date) -> str:
    """24 characters, the month before ``end``'s first (position 1) back to 24 months before."""
    codes = []
    first = month_end(facts.history_from)
    for day in profile_months(end):
        if day < first:
            codes.append("B")
        elif charged_off(facts, day):
            codes.append("L")
        else:
            codes.append(_code(DPD_PROFILE, days_past_due_on(facts.aging, day)))
    return "".join(codes)


def _first_delinquency(facts: AccountFacts, status: str, end: date) -> date | None:
    if status in ("97", "64") and facts.charged_off_on is not None:
        oldest_unpaid = facts.charged_off_on - timedelta(days=facts.charge_off_days_past_due)
        return oldest_unpaid + timedelta(days=30)
    if status in DELINQUENT_STATUSES:
        return end - timedelta(days=days_past_due_on(facts.aging, end) - 30)
    return None


def current_balance(facts: AccountFacts, status: str) -> Decimal:
    if status in ("97", "64"):
        return max(facts.charge_off_loss - facts.recovered, ZERO)
    if status in ("13", "65"):
        return ZERO
    escrow_advance = max(-facts.escrow_balance, ZERO)
    return facts.principal_balance + facts.interest_due + facts.fees_due + escrow_advance


def scheduled_monthly_payment(facts: AccountFacts, status: str) -> Decimal:
    if status in CLOSED_STATUSES:
        return ZERO
    return (facts.regular_payment + facts.escrow_payment) * MONTHLY_FACTOR[facts.frequency]


def amount_past_due(facts: AccountFacts, status: str, balance: Decimal) -> Decimal:
    if status == "97":
        return balance
    if status in DELINQUENT_STATUSES:
        return facts.amount_to_bring_current
    return ZERO


def special_comment(facts: AccountFacts, status: str) -> str:
    if status in CLOSED_STATUSES:
        return ""
    if facts.in_forbearance:
        return FORBEARANCE
    return MODIFIED if facts.modified else ""


def payment_rating(facts: AccountFacts, status: str) -> str:
    """Required with 13 and 65 (and 05, 88, 89, 94, 95, not furnished here): how late the loan was when it was
    paid, by the day before the payoff."""
    if status not in ("13", "65") or facts.paid_off_on is None:
        return ""
    return _code(DPD_PROFILE, days_past_due_on(facts.aging, facts.paid_off_on - timedelta(days=1)))


def _date_closed(facts: AccountFacts, status: str) -> date | None:
    if status in ("97", "64"):
        return facts.charged_off_on
    if status in ("13", "65"):
        return facts.paid_off_on
    return None


def _consumer_values(consumer: Consumer | None) -> dict[str, Value]:
    if consumer is None:
        return {}
    return {
        "surname": consumer.surname,
        "first_name": consumer.first_name,
        "middle_name": consumer.middle_name,
        "generation_code": consumer.generation_code,
        "social_security_number": consumer.ssn or None,
        "date_of_birth": consumer.date_of_birth,
        "telephone_number": consumer.telephone or None,
        # 2: joint contractual liability (co-borrowers on the note); 1: individual.
        "ecoa_code": "2" if consumer.co_borrowers else "1",
        "address_line_1": consumer.address_line_1,
        "address_line_2": consumer.address_line_2,
        "city": consumer.city,
        "state": consumer.state,
        "postal_code": consumer.postal_code,
    }


def base_segment_values(
    facts: AccountFacts, *, end: date, identification_number: str, time_stamp: datetime
) -> dict[str, Value]:
    """The base segment's field values for ``facts`` as of the month end ``end``."""
    status = account_status(facts, end)
    balance = current_balance(facts, status)
    portfolio_type, account_type = PORTFOLIO_TYPES[facts.kind]
    values: dict[str, Value] = {
        "record_descriptor_word": 426,
        "processing_indicator": 1,
        "time_stamp": time_stamp,
        "correction_indicator": 0,
        "identification_number": identification_number,
        "consumer_account_number": facts.account_number,
        "portfolio_type": portfolio_type,
        "account_type": account_type,
        "date_opened": facts.date_opened,
        "highest_credit": facts.original_amount,
        "terms_duration": str(facts.term_periods).rjust(3, "0"),
        "terms_frequency": TERMS_FREQUENCY.get(facts.frequency, ""),
        "scheduled_monthly_payment": scheduled_monthly_payment(facts, status),
        "actual_payment_amount": facts.paid_in_month,
        "account_status": status,
        "payment_rating": payment_rating(facts, status),
        "payment_history_profile": payment_history_profile(facts, end),
        "special_comment": special_comment(facts, status),
        "current_balance": balance,
        "amount_past_due": amount_past_due(facts, status, balance),
        "original_charge_off_amount": facts.charge_off_loss if status in ("97", "64") else None,
        "date_of_account_information": end,
        "date_of_first_delinquency": _first_delinquency(facts, status, end),
        "date_closed": _date_closed(facts, status),
        "date_of_last_payment": facts.last_payment_on,
        "interest_type_indicator": "F",  # every booked rate is fixed (LoanAccount.annual_rate)
    }
    values.update(_consumer_values(facts.consumer))
    return values
