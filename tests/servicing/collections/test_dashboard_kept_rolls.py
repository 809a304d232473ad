"""The dashboard's closed months are kept (servicing.models.roll_rates) by the nightly ``roll_rates_keep`` and only
the current month is counted live (PostgreSQL): the kept figures equal the count from the whole history, before and
after history is changed; a change dated into a closed month (a nightly rerun, a back-dated payoff or charge-off)
restates them, so views count from the whole history until the next keep, while one dated this month does not. A
view never writes, and the page's query count is constant once kept."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import LoanAccount, RollRateRestatement, RollRateSnapshot
from servicing.selectors.collections_dashboard import roll_rates, roll_rates_live
from servicing.services.charge_off import loan_charge_off
from servicing.services.roll_rates import roll_rates_keep
from servicing.tasks import roll_rates_keep as roll_rates_keep_task
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan, history_row

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
TODAY = date(2027, 3, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def _keep(today: date = TODAY, months: int = 3) -> bool:
    return roll_rates_keep(today=today, actor=None, months=months)


def _table(rolls) -> list[tuple[str, str, int, int]]:
    return [(r.month, r.from_bucket, r.rolled, r.loans) for r in rolls]


@pytest.fixture
def book():
    """Five loans moving through the buckets from December to March (as in test_dashboard's roll tests)."""
    a, b, c, d, e = (delinquent_loan() for _ in range(5))
    history_row(a, date(2026, 12, 20), "current", "1-29")
    history_row(a, date(2027, 1, 20), "1-29", "30-59")
    history_row(a, date(2027, 2, 5), "30-59", "60-89")
    history_row(a, date(2027, 3, 5), "60-89", "90-119")
    history_row(b, date(2027, 1, 25), "current", "1-29")
    history_row(b, date(2027, 2, 10), "1-29", "current")
    history_row(c, date(2027, 1, 15), "current", "30-59")
    history_row(d, date(2027, 1, 10), "current", "1-29")
    history_row(d, date(2027, 2, 3), "1-29", "30-59")
    history_row(d, date(2027, 2, 20), "30-59", "60-89")
    history_row(e, date(2027, 2, 2), "current", "1-29")
    return a, b, c, d, e


def test_the_kept_months_are_the_count_from_the_wholehistory_row(book):
    months, first = roll_rates(TODAY, months=3)  # nothing kept yet: counted from the whole history
    assert RollRateSnapshot.objects.count() == 0  # a view never writes
    assert _keep() is True
    assert list(RollRateSnapshot.objects.values_list("month_end", "months")) == [(date(2027, 2, 28), 3)]
    again = roll_rates(TODAY, months=3)[1]  # read from what was kept
    assert months == ["2027-01", "2027-02", "2027-03"]
    assert _table(first) == _table(again) == _table(roll_rates_live(TODAY, months=3)[1])
    assert [row for row in _table(again) if row[3]] == [
        ("2027-01", "1-29", 1, 1),  # A
        ("2027-02", "1-29", 0, 2),  # B, D (D skipped to 60-89)
        ("2027-02", "30-59", 1, 2),  # A of A, C
        ("2027-03", "1-29", 0, 1),  # E
        ("2027-03", "30-59", 0, 1),  # C
        ("2027-03", "60-89", 1, 2),  # A of A, D
    ]


def test_six_months_kept_equal_the_live_count(book):
    assert _keep(months=6) is True
    assert _table(roll_rates(TODAY)[1]) == _table(roll_rates_live(TODAY)[1])


def test_a_nightly_rerun_dated_into_a_closed_month_restates_it(book):
    _a, _b, c, _d, _e = book
    _keep()
    history_row(c, date(2027, 2, 27), "30-59", "60-89")  # C rolled in February after all
    after = _table(roll_rates(TODAY, months=3)[1])
    assert _keep() is True  # restated: counted again
    assert _table(roll_rates(TODAY, months=3)[1]) == after
    assert after == _table(roll_rates_live(TODAY, months=3)[1])
    assert ("2027-02", "30-59", 2, 2) in after  # A and C
    assert ("2027-03", "60-89", 1, 3) in after  # A of A, C, D


def test_a_back_dated_payoff_restates_the_months_it_reaches(book):
    a, *_ = book
    _keep()
    LoanAccount.objects.filter(pk=a.pk).update(status="paid_off", paid_off_on=date(2027, 2, 1))
    assert _keep() is True
    after = _table(roll_rates(TODAY, months=3)[1])
    assert after == _table(roll_rates_live(TODAY, months=3)[1])
    assert ("2027-02", "30-59", 0, 2) in after  # A counted at January's end, gone by February's
    assert ("2027-03", "60-89", 0, 1) in after  # D only


def test_a_back_dated_charge_off_restates_the_months_it_reaches(book):
    _a, _b, _c, d, _e = book
    _keep()
    before = _table(roll_rates(TODAY, months=3)[1])
    loan_charge_off(actor=user_with_role(roles.MANAGER), loan=d, reason="x", as_of=date(2027, 2, 10))
    assert _keep() is True
    after = _table(roll_rates(TODAY, months=3)[1])
    assert after == _table(roll_rates_live(TODAY, months=3)[1])
    assert ("2027-02", "1-29", 0, 2) in after  # D counted at January's end, did not roll
    assert ("2027-03", "60-89", 1, 2) in before
    assert ("2027-03", "60-89", 1, 1) in after  # A only: D charged off in February


def test_a_change_dated_this_month_keeps_the_closed_months_and_shows_today(book):
    _a, _b, c, _d, e = book
    _keep()
    version = RollRateRestatement.objects.get().version
    history_row(e, date(2027, 3, 8), "1-29", "30-59")
    LoanAccount.objects.filter(pk=c.pk).update(status="paid_off", paid_off_on=date(2027, 3, 9))
    after = _table(roll_rates(TODAY, months=3)[1])
    assert RollRateRestatement.objects.get().version == version  # nothing dated into a closed month
    assert _keep() is False  # still kept: nothing to count
    assert after == _table(roll_rates_live(TODAY, months=3)[1])
    assert ("2027-03", "1-29", 1, 1) in after  # E rolled today
    assert ("2027-03", "30-59", 0, 1) in after  # C paid off: did not roll


def test_a_new_month_keeps_the_month_that_closed(book):
    _keep()
    later = date(2027, 4, 2)
    assert _keep(later) is True
    assert _table(roll_rates(later, months=3)[1]) == _table(roll_rates_live(later, months=3)[1])
    assert list(RollRateSnapshot.objects.values_list("month_end", flat=True)) == [date(2027, 3, 31)]


def test_without_the_restatement_row_nothing_is_kept(book):
    RollRateRestatement.objects.all().delete()
    assert _keep() is False
    assert _table(roll_rates(TODAY, months=3)[1]) == _table(roll_rates_live(TODAY, months=3)[1])
    assert RollRateSnapshot.objects.count() == 0


def test_the_page_reads_the_kept_months_in_one_query_and_never_writes(client, book, django_assert_num_queries):
    _a, _b, c, _d, e = book
    client.force_login(user_with_role(roles.MANAGER))
    url = reverse("collections:dashboard")
    with django_assert_num_queries(10):  # nothing kept: the whole history counted, one more query
        assert client.get(url).status_code == 200
    assert RollRateSnapshot.objects.count() == 0
    _keep(months=6)
    with django_assert_num_queries(9):
        first = client.get(url)
    history_row(e, date(2027, 3, 8), "1-29", "30-59")
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    history_row(c, date(2027, 2, 27), "30-59", "60-89")
    with django_assert_num_queries(10):  # restated: counted from the whole history until the next keep
        restated = client.get(url)
    assert RollRateSnapshot.objects.get().version < RollRateRestatement.objects.get().version
    live = roll_rates_live(TODAY)[1]
    assert _table(restated.context["dashboard"].rolls) == _table(live) != _table(first.context["dashboard"].rolls)


def test_keeping_twice_on_the_same_day_writes_nothing_and_audits_once(book):
    assert _keep() is True
    snapshot = RollRateSnapshot.objects.get()
    assert _keep() is False
    assert RollRateSnapshot.objects.get() == snapshot
    assert list(AuditEvent.objects.filter(verb="roll_rates.kept").values_list("after", flat=True)) == [
        {"month_end": "2027-02-28", "months": 3, "version": snapshot.version}
    ]


def test_the_nightly_task_keeps_today_s_closed_months(book):
    assert roll_rates_keep_task.delay().get() is True
    assert list(RollRateSnapshot.objects.values_list("month_end", "months")) == [(date(2027, 2, 28), 6)]


def test_the_command_keeps_today_s_closed_months_once(book):
    out = StringIO()
    call_command("keep_roll_rates", stdout=out)
    call_command("keep_roll_rates", stdout=out)
    assert out.getvalue() == ("Roll rates kept.\nRoll rates already kept (or not PostgreSQL): nothing to do.\n")
    assert RollRateSnapshot.objects.count() == 1
