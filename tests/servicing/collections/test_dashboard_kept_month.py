"""The current month's roll rates from the kept loans (PostgreSQL): each kept loan's latest move since the month
end is kept too, moved on by a trigger as history rows are added (migration 0042), so a view groups the kept loans
instead of merging them with the month's history. Day after day through the real nightly delinquency step, across
month ends, payments, payoffs, charge-offs, a restatement and reruns, the kept figures equal the count from the
whole history (``roll_rates_live``), and the view reads them whenever they are kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lending.core import roles
from servicing.models import Installment, LoanAccount, RollRateSnapshotLoan
from servicing.selectors import collections_dashboard
from servicing.selectors.collections_dashboard import roll_rates, roll_rates_live
from servicing.services.charge_off import loan_charge_off
from servicing.services.nightly.steps.delinquency import DelinquencyStep
from servicing.services.payments import payment_post
from servicing.services.roll_rates import roll_rates_keep
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan, history_row
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
TODAY = date(2027, 3, 10)


class Clock:
    today = TODAY


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: Clock.today)
    return Clock


@pytest.fixture
def recounts(monkeypatch):
    """How many times a view counted from the whole history (``counted_rolls``) instead of reading what is kept."""
    calls = []
    counted = collections_dashboard.counted_rolls
    monkeypatch.setattr(collections_dashboard, "counted_rolls", lambda ends: calls.append(ends) or counted(ends))
    return calls


def _table(rolls) -> list[tuple[str, str, int, int]]:
    return [(r.month, r.from_bucket, r.rolled, r.loans) for r in rolls]


def _kept_is_live(today: date, recounts: list) -> bool:
    """The view's roll rates on ``today`` equal the count from the whole history; True when they were read kept."""
    before = len(recounts)
    viewed = _table(roll_rates(today)[1])
    kept = len(recounts) == before
    assert viewed == _table(roll_rates_live(today)[1]), today
    return kept


def _age(day: date) -> None:
    step = DelinquencyStep()
    step.run_chunk(day, list(step.pending_loan_ids(day)), None)


def _pay(loan: LoanAccount, day: date, number: int) -> None:
    """The loan's installment ``number`` paid on ``day``."""
    amount = Installment.objects.get(loan=loan, number=number).payment
    key = f"{loan.pk}-{number}"
    payment_post(
        loan=loan, amount=amount, effective_date=day, method="check", reference=key, idempotency_key=key, actor=None
    )


def test_day_after_day_the_kept_month_is_the_count_from_the_whole_history(clock, recounts):
    """Six loans due the 1st (one the 15th) from January 2027, walked night by night to mid-April: each night
    the delinquency step ages them; each morning the closed months are kept and the view compared with the live
    count, then again after the day's payoff or charge-off."""
    never, late, cured, charged, paid_off, restated = (boarded_loan() for _ in range(6))
    mid_month = boarded_loan(first_payment_date=date(2027, 1, 15))
    manager = user_with_role(roles.MANAGER)
    events = {
        date(2027, 2, 20): lambda day: _pay(cured, day, 1),  # one month behind, then none
        date(2027, 3, 5): lambda day: [_pay(cured, day, n) for n in (2, 3)],
        date(2027, 3, 12): lambda day: loan_charge_off(actor=manager, loan=charged, reason="x", as_of=day),
        date(2027, 3, 20): lambda day: LoanAccount.objects.filter(pk=paid_off.pk).update(
            status="paid_off", paid_off_on=day
        ),
        date(2027, 4, 3): lambda day: [_pay(late, day, n) for n in (1, 2)],
        # A nightly rerun dated into a closed month: restated, counted from the whole history until the next keep.
        date(2027, 4, 6): lambda day: history_row(restated, date(2027, 3, 15), "60-89", "current"),
    }
    kept_days, day = [], date(2027, 1, 2)
    while day <= date(2027, 4, 14):
        clock.today = day
        _age(day - timedelta(days=1))  # the night's close of business for yesterday
        _age(day - timedelta(days=1))  # rerun: every loan already aged, nothing written
        roll_rates_keep(today=day, actor=None)
        assert roll_rates_keep(today=day, actor=None) is False  # rerun the same morning: already kept
        if _kept_is_live(day, recounts):
            kept_days.append(day)
        if day in events:
            events[day](day)
            restating = day == date(2027, 4, 6)
            assert _kept_is_live(day, recounts) is not restating
        day += timedelta(days=1)
    # Every morning is read kept (the restatement is counted again by the next morning's keep).
    assert kept_days == _days(date(2027, 1, 2), date(2027, 4, 14))
    names = {never.pk: "never", late.pk: "late", restated.pk: "restated", mid_month.pk: "mid-month"}
    # March's end as kept and moved on by April's history: LATE caught up two payments on April 3.
    assert sorted(
        (names[k.loan_id], k.bucket, k.latest_bucket, k.latest_on) for k in RollRateSnapshotLoan.objects.all()
    ) == [
        ("late", "90-119", "30-59", date(2027, 4, 3)),
        ("mid-month", "60-89", "60-89", None),
        ("never", "90-119", "90-119", None),
        ("restated", "90-119", "90-119", None),
    ]
    assert [row for row in _table(roll_rates(clock.today)[1]) if row[3]] == [
        ("2027-02", "1-29", 1, 1),  # MID-MONTH
        ("2027-02", "30-59", 5, 6),  # all but CURED (back to 1-29 on February 20, then 30-59 again on the 28th)
        ("2027-03", "30-59", 1, 2),  # MID-MONTH of it and CURED (current on March 5)
        ("2027-03", "60-89", 3, 5),  # CHARGED and PAID-OFF gone in March
        ("2027-04", "60-89", 0, 1),
        ("2027-04", "90-119", 0, 3),  # LATE back to 30-59
    ]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_a_history_row_added_this_month_moves_its_kept_loan_on(clock, recounts):
    loan = delinquent_loan()
    history_row(loan, date(2027, 2, 10), "current", "1-29")
    roll_rates_keep(today=TODAY, actor=None)
    kept = RollRateSnapshotLoan.objects.get(loan_id=loan.pk)
    assert (kept.bucket, kept.latest_bucket, kept.latest_on) == ("1-29", "1-29", None)
    history_row(loan, date(2027, 3, 4), "1-29", "30-59")
    kept.refresh_from_db()
    assert (kept.latest_bucket, kept.latest_on) == ("30-59", date(2027, 3, 4))
    history_row(loan, date(2027, 3, 2), "1-29", "60-89")  # added later, dated earlier: not the latest
    kept.refresh_from_db()
    assert (kept.latest_bucket, kept.latest_on) == ("30-59", date(2027, 3, 4))
    assert _kept_is_live(TODAY, recounts) is True


def test_the_keep_starts_each_loan_at_its_latest_move_since_the_month_end(clock, recounts):
    loan, other = delinquent_loan(), delinquent_loan()
    history_row(loan, date(2027, 2, 10), "current", "1-29")
    history_row(other, date(2027, 2, 12), "current", "1-29")
    history_row(loan, date(2027, 3, 3), "1-29", "30-59")  # before the month's snapshot is kept
    roll_rates_keep(today=TODAY, actor=None)
    kept = RollRateSnapshotLoan.objects.order_by("loan_id").values_list("loan_id", "latest_bucket", "latest_on")
    assert list(kept) == [(loan.pk, "30-59", date(2027, 3, 3)), (other.pk, "1-29", None)]
    assert _kept_is_live(TODAY, recounts) is True


def test_a_move_dated_after_the_day_viewed_is_counted_from_the_whole_history(clock, recounts):
    loan = delinquent_loan()
    history_row(loan, date(2027, 2, 10), "current", "1-29")
    roll_rates_keep(today=TODAY, actor=None)
    history_row(loan, TODAY + timedelta(days=2), "1-29", "30-59")
    assert _kept_is_live(TODAY, recounts) is False  # the kept move is not yet made on TODAY
    assert _kept_is_live(TODAY + timedelta(days=2), recounts) is True
