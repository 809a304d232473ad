"""Delinquency: days past due, MBA buckets, servicer status labels and when a late fee may be charged.

Days past due (Reg X 12 CFR 1024.31, "delinquency"): a loan is delinquent from the day a periodic
payment becomes due and unpaid until no periodic payment is due and unpaid, so days past due are
counted from the due date of the oldest unpaid installment: ``as_of - oldest_unpaid_due_date``.

MBA method (Mortgage Bankers Association; the usual standard for prime mortgages and the one used
here): a loan is 30 days delinquent when a payment is still unpaid at the close of business on the
day before the next due date; 60 when it is still unpaid the day before the due date after that, and
so on. It counts missed monthly due dates, not days: a payment due April 1 and unpaid at the end of
April 30 is 30 days delinquent whether April has 30 or 31 days. The OTS (Office of Thrift
Supervision / FFIEC) method waits one day longer: the loan is 30 days delinquent only when the payment
is unpaid at the close of business on the same day of the following month (due April 1, unpaid May 1),
so it reports a loan one cycle later than MBA. Sources: AD&Co, "Modeling Mortgage Risk: Definitional
Issues", The Pipeline, April 2005 (ad-co.com); securitization "MBA method" / "OTS method" definitions.

Here ``as_of`` is a date and is read as its close of business: the MBA count is the number of later
monthly due dates ``D`` with ``D - 1 day <= as_of``. Later due dates keep the schedule's day of month,
clamped to month end: due January 31, the next due date is February 28 (29), so the loan is 30 days
delinquent at the end of February 27 and 60 at the end of March 30 (the day before March 31).

Status labels (servicer's convention, thresholds cited where they come from a rule):

- ``current``: nothing past due.
- ``grace``: past due within the grace period; no late fee yet (see :func:`late_fee_assessable`).
- ``late``: past the grace period, not yet 30 days delinquent by the MBA count.
- ``delinquent_30``, ``delinquent_60``: MBA 30 and 60 buckets.
- ``seriously_delinquent``: MBA 90 or more (MBA National Delinquency Survey "seriously delinquent").
- ``default``: MBA 120 or more.
- ``charge_off_candidate``: 180 or more days past due (FFIEC Uniform Retail Credit Classification and
  Account Management Policy, 65 FR 36903 (2000): residential mortgages 180 days past due are assessed
  for loss).

``foreclosure_referral_allowed`` is Reg X 1024.41(f)(1)(i): no first notice or filing for foreclosure
unless the loan is more than 120 days delinquent (counted in days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lending.finance.daycount import add_months

CURRENT = "current"
GRACE = "grace"
LATE = "late"
DELINQUENT_30 = "delinquent_30"
DELINQUENT_60 = "delinquent_60"
SERIOUSLY_DELINQUENT = "seriously_delinquent"
DEFAULT = "default"
CHARGE_OFF_CANDIDATE = "charge_off_candidate"
STATUSES = (
    CURRENT,
    GRACE,
    LATE,
    DELINQUENT_30,
    DELINQUENT_60,
    SERIOUSLY_DELINQUENT,
    DEFAULT,
    CHARGE_OFF_CANDIDATE,
)

MBA_BUCKETS = ("current", "30", "60", "90", "120+")
DEFAULT_GRACE_DAYS = 15  # Fannie Mae/Freddie Mac uniform note (Form 3200) section 6(A)
CHARGE_OFF_DAYS = 180  # FFIEC Uniform Retail Credit Classification Policy (2000)
FORECLOSURE_REFERRAL_DAYS = 120  # Reg X 1024.41(f)(1): "more than 120 days delinquent"


def _check_date(value: object, field_name: str) -> date:
    if not isinstance(value, date):
        raise ValueError(f"{field_name}: expected a date, got {value!r}")
    return value


def _check_days(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{field_name}: expected a whole number of days >= 0, got {value!r}")
    return value


def _check_due_day(due_day: int | None) -> int | None:
    if due_day is not None and (isinstance(due_day, bool) or not isinstance(due_day, int) or not 1 <= due_day <= 31):
        raise ValueError(f"due_day: expected a day of month 1-31, got {due_day!r}")
    return due_day


def days_past_due(oldest_unpaid_due_date: date | None, as_of: date) -> int:
    """Days since the oldest unpaid due date (Reg X 1024.31); 0 when nothing is unpaid or not yet due."""
    _check_date(as_of, "as_of")
    if oldest_unpaid_due_date is None:
        return 0
    _check_date(oldest_unpaid_due_date, "oldest_unpaid_due_date")
    return max((as_of - oldest_unpaid_due_date).days, 0)


def missed_payments(oldest_unpaid_due_date: date | None, as_of: date, *, due_day: int | None = None) -> int:
    """MBA count: due dates after the oldest unpaid one whose eve is on or before ``as_of``.

    Due dates are monthly on ``due_day`` (default: the oldest unpaid due date's day), clamped to the
    month end; a loan due January 31 counts one missed payment from the close of February 27.
    """
    _check_date(as_of, "as_of")
    _check_due_day(due_day)
    if oldest_unpaid_due_date is None:
        return 0
    _check_date(oldest_unpaid_due_date, "oldest_unpaid_due_date")
    close = as_of + timedelta(days=1)  # unpaid at the close of as_of == unpaid on the morning after
    if close <= oldest_unpaid_due_date:
        return 0
    months = (close.year - oldest_unpaid_due_date.year) * 12 + close.month - oldest_unpaid_due_date.month
    # ``months`` may overshoot by one when close's day is before the (clamped) due day.
    while months > 0 and add_months(oldest_unpaid_due_date, months, due_day) > close:
        months -= 1
    return months


def mba_bucket(oldest_unpaid_due_date: date | None, as_of: date, *, due_day: int | None = None) -> str:
    """MBA bucket: ``"current"``, ``"30"``, ``"60"``, ``"90"`` or ``"120+"`` (missed monthly due dates)."""
    return MBA_BUCKETS[min(missed_payments(oldest_unpaid_due_date, as_of, due_day=due_day), 4)]


def late_fee_assessable(due_date: date | None, as_of: date, grace_days: int = DEFAULT_GRACE_DAYS) -> bool:
    """True when the payment due on ``due_date`` is still unpaid after the grace period has ended.

    Uniform note (Fannie Mae/Freddie Mac Form 3200) section 6(A): a late charge is owed when the full
    monthly payment has not been received "by the end of 15 calendar days after the date it is due";
    due March 1 with 15 grace days, a late fee may be assessed from March 17.
    """
    _check_date(as_of, "as_of")
    _check_days(grace_days, "grace_days")
    if due_date is None:
        return False
    _check_date(due_date, "due_date")
    return (as_of - due_date).days > grace_days


@dataclass(frozen=True, slots=True)
class DelinquencyStatus:
    as_of: date
    oldest_unpaid_due_date: date | None
    days_past_due: int
    missed_payments: int  # MBA count of missed monthly due dates
    bucket: str  # MBA bucket
    status: str  # servicer label, see the module docstring
    late_fee_assessable: bool
    foreclosure_referral_allowed: bool  # Reg X 1024.41(f)(1): more than 120 days delinquent


def _status_label(days: int, missed: int, fee_assessable: bool, charge_off_days: int) -> str:
    if days == 0:
        return CURRENT
    if days >= charge_off_days:
        return CHARGE_OFF_CANDIDATE
    if missed >= 4:
        return DEFAULT
    if missed == 3:
        return SERIOUSLY_DELINQUENT
    if missed == 2:
        return DELINQUENT_60
    if missed == 1:
        return DELINQUENT_30
    return LATE if fee_assessable else GRACE


def delinquency_status(
    oldest_unpaid_due_date: date | None,
    as_of: date,
    *,
    grace_days: int = DEFAULT_GRACE_DAYS,
    due_day: int | None = None,
    charge_off_days: int = CHARGE_OFF_DAYS,
) -> DelinquencyStatus:
    """Days past due, MBA bucket and servicer status of a loan whose oldest unpaid payment is as given."""
    _check_days(charge_off_days, "charge_off_days")
    days = days_past_due(oldest_unpaid_due_date, as_of)
    missed = missed_payments(oldest_unpaid_due_date, as_of, due_day=due_day)
    fee_assessable = late_fee_assessable(oldest_unpaid_due_date, as_of, grace_days)
    return DelinquencyStatus(
        as_of=as_of,
        oldest_unpaid_due_date=oldest_unpaid_due_date,
        days_past_due=days,
        missed_payments=missed,
        bucket=MBA_BUCKETS[min(missed, 4)],
        status=_status_label(days, missed, fee_assessable, charge_off_days),
        late_fee_assessable=fee_assessable,
        foreclosure_referral_allowed=days > FORECLOSURE_REFERRAL_DAYS,
    )


# --- what a servicer's loan list shows: a days-past-due bucket and a three-way status -------------------------

DPD_BUCKETS = ("current", "1-29", "30-59", "60-89", "90-119", "120+")
LOAN_CURRENT = "current"
LOAN_DELINQUENT = "delinquent"
LOAN_DEFAULT = "default"
LOAN_STATUSES = (LOAN_CURRENT, LOAN_DELINQUENT, LOAN_DEFAULT)


def dpd_bucket(status: DelinquencyStatus) -> str:
    """The list bucket of a loan: ``current`` when nothing is past due, ``1-29`` past due but not yet 30 days
    delinquent by the MBA count, then one bucket per missed monthly payment (``30-59`` ... ``120+``)."""
    if status.days_past_due == 0:
        return DPD_BUCKETS[0]
    return DPD_BUCKETS[min(status.missed_payments, 4) + 1]


def loan_status(status: DelinquencyStatus) -> str:
    """``current``; ``delinquent`` from the first day a payment is due and unpaid (Reg X 1024.31); ``default`` at
    MBA 120+ (four missed payments) or the charge-off threshold."""
    if status.status == CURRENT:
        return LOAN_CURRENT
    if status.status in (DEFAULT, CHARGE_OFF_CANDIDATE):
        return LOAN_DEFAULT
    return LOAN_DELINQUENT
