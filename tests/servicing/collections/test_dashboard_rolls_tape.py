"""The dashboard's roll rates read the closed months from the month-end tape and carry the tape's last close to
today: the same figures as counting every month live from the delinquency history, including loans that moved
between a month's close (its last business day) and its end, and months the tape does not hold (counted live)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from servicing.models import DelinquencyHistory, LoanAccount, LoanMonthEndCount
from servicing.selectors.collections_dashboard import roll_rates
from servicing.services.charge_off import loan_charge_off
from servicing.services.month_end import month_end_rebuild
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2027, 3, 10)  # month ends Dec 31, Jan 31, Feb 28; closes Dec 31 (Thu), Jan 29 (Fri), Feb 26 (Fri)
DEC, JAN, FEB = date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)


def _moved(loan, day: date, bucket_from: str, bucket_to: str) -> None:
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=day,
        days_past_due=0 if bucket_to == "current" else 1,
        bucket_from=bucket_from,
        bucket_to=bucket_to,
        status_from="current" if bucket_from == "current" else "delinquent",
        status_to="current" if bucket_to == "current" else "delinquent",
    )


@pytest.fixture
def book():
    """Six loans (boarded in November 2026), their bucket at each month end and on March 10:
    A  1-29 | 30-59 | 60-89 | 90-119 (moved Dec 20, Jan 20, Feb 20, Mar 5)
    B  1-29 | current (cured Saturday Jan 30, after January's close) | current | current
    C  -    | 30-59 | gone (paid off Saturday Feb 27, after February's close) | gone
    D  60-89 (from Dec 1) | 60-89 | 60-89 | gone (charged off Mar 3)
    E  -    | -     | 1-29 (Feb 10) | 1-29
    F  -    | -     | 60-89 (30-59 on Feb 26, the close; 60-89 on Sunday Feb 28) | 60-89"""
    a, b, c, d, e, f = (delinquent_loan() for _ in range(6))
    _moved(a, date(2026, 12, 20), "current", "1-29")
    _moved(a, date(2027, 1, 20), "1-29", "30-59")
    _moved(a, date(2027, 2, 20), "30-59", "60-89")
    _moved(a, date(2027, 3, 5), "60-89", "90-119")
    _moved(b, date(2026, 12, 15), "current", "1-29")
    _moved(b, date(2027, 1, 30), "1-29", "current")
    _moved(c, date(2027, 1, 10), "current", "30-59")
    LoanAccount.objects.filter(pk=c.pk).update(
        status=LoanAccount.Status.PAID_OFF, paid_off_on=date(2027, 2, 27), principal_balance=D("0.00")
    )
    _moved(d, date(2026, 12, 1), "current", "60-89")
    loan_charge_off(actor=user_with_role(roles.MANAGER), loan=d, reason="x", as_of=date(2027, 3, 3))
    _moved(e, date(2027, 2, 10), "current", "1-29")
    _moved(f, date(2027, 2, 26), "current", "30-59")
    _moved(f, date(2027, 2, 28), "30-59", "60-89")


def _table(rolls):
    return {(r.month, r.from_bucket): (r.rolled, r.loans) for r in rolls}


# (month, from bucket): (rolled, loans), counted by hand from the fixture's table.
EXPECTED = {
    ("2027-01", "1-29"): (1, 2),  # A rolled, B cured
    ("2027-01", "30-59"): (0, 0),
    ("2027-01", "60-89"): (0, 1),  # D stayed
    ("2027-01", "90-119"): (0, 0),
    ("2027-02", "1-29"): (0, 0),  # B cured on Jan 30: not in 1-29 at January's end
    ("2027-02", "30-59"): (1, 2),  # A rolled, C paid off
    ("2027-02", "60-89"): (0, 1),  # D
    ("2027-02", "90-119"): (0, 0),
    ("2027-03", "1-29"): (0, 1),  # E stayed
    ("2027-03", "30-59"): (0, 0),  # F was 60-89 at February's end, C gone
    ("2027-03", "60-89"): (1, 3),  # A rolled, D charged off, F stayed
    ("2027-03", "90-119"): (0, 0),
}


def _tape(*months: date) -> None:
    for month in months:
        month_end_rebuild(month=month, actor=None)


def test_without_a_tape_every_month_is_counted_live(book):
    months, rolls = roll_rates(TODAY, months=3)
    assert months == ["2027-01", "2027-02", "2027-03"]
    assert _table(rolls) == EXPECTED


def test_the_tape_gives_the_live_figures_with_loans_that_moved_after_a_close(book):
    _tape(DEC, JAN, FEB)
    live = roll_rates(TODAY, months=3, tape=False)
    months, rolls = roll_rates(TODAY, months=3)
    assert months == ["2027-01", "2027-02", "2027-03"]
    assert _table(rolls) == EXPECTED
    assert (months, rolls) == live
    percents = {(r.month, r.from_bucket): r.percent for r in rolls if r.loans}
    assert percents == {
        ("2027-01", "1-29"): D("50.0"),
        ("2027-01", "60-89"): D("0.0"),
        ("2027-02", "30-59"): D("50.0"),
        ("2027-02", "60-89"): D("0.0"),
        ("2027-03", "1-29"): D("0.0"),
        ("2027-03", "60-89"): D("33.3"),
    }


def test_a_month_the_tape_lacks_is_counted_live(book):
    """February's close never ran: February's roll and this month's are counted live, January's from the tape."""
    _tape(DEC, JAN)
    assert _table(roll_rates(TODAY, months=3)[1]) == EXPECTED


def test_with_only_the_latest_month_on_tape_the_current_month_reads_it(book):
    _tape(FEB)  # February's rows start the tape: each row's month before is "new", so January's roll is live
    assert _table(roll_rates(TODAY, months=3)[1]) == EXPECTED


def test_the_closed_months_are_read_from_the_tapes_counts():
    """No history at all: the figures can only come from the counts (a hand-written tape)."""
    for month, before, after, loans in (
        (DEC, "current", "current", 10),
        (JAN, "1-29", "30-59", 3),
        (JAN, "1-29", "current", 1),
        (JAN, "90-119", "120+", 2),
        (FEB, "30-59", "60-89", 1),
        (FEB, "30-59", "paid_off", 2),
        (FEB, "new", "1-29", 5),
    ):
        LoanMonthEndCount.objects.create(
            month=month,
            product_code="M",
            bucket_before=before,
            bucket=after,
            loans=loans,
            principal_before=D("0.00"),
            principal_balance=D("0.00"),
        )
    rolls = {key: value for key, value in _table(roll_rates(TODAY, months=3)[1]).items() if value != (0, 0)}
    assert rolls == {
        ("2027-01", "1-29"): (3, 4),
        ("2027-01", "90-119"): (2, 2),
        ("2027-02", "30-59"): (1, 3),
        ("2027-03", "1-29"): (0, 5),  # February's close carried to today: nothing moved since
        ("2027-03", "60-89"): (0, 1),
    }


def test_roll_rates_are_one_query_with_the_tape_or_without(book, django_assert_num_queries):
    with django_assert_num_queries(1):
        roll_rates(TODAY, months=3)
    _tape(DEC, JAN, FEB)
    with django_assert_num_queries(1):
        roll_rates(TODAY, months=3)
