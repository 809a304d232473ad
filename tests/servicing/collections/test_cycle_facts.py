"""``cycle_facts`` (a queue page's due dates and call days, compiled once per number of loans): the dates and days
the querysets give, for other loans, other numbers of them, other dates and the time zone's day of a call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from servicing.models import ContactAttempt, Installment, LoanAccount
from servicing.selectors.loss_mitigation import cycle_facts
from servicing.services.early_intervention import delinquency_start
from tests.core.factories import UserFactory
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db


def _read_by_the_orm(loans: list[LoanAccount], today: date) -> tuple[dict[int, list[date]], dict[int, list[date]]]:
    """What the two querysets read (cycle_facts before it was compiled)."""
    starts = {loan.pk: start for loan in loans if (start := delinquency_start(loan)) is not None}
    dues: dict[int, list[date]] = {pk: [] for pk in starts}
    calls: dict[int, list[date]] = {pk: [] for pk in starts}
    for pk, start in starts.items():
        dues[pk] = list(
            Installment.objects.filter(loan_id=pk, due_date__gte=start, due_date__lte=today)
            .order_by("due_date")
            .values_list("due_date", flat=True)
        )
        days = [
            timezone.localdate(at)
            for at in ContactAttempt.objects.filter(loan_id=pk, channel="call").values_list("at", flat=True)
        ]
        calls[pk] = sorted(day for day in days if day >= start)
    return dues, calls


def _sorted(facts: tuple[dict[int, list[date]], dict[int, list[date]]]):
    return tuple({pk: sorted(days) for pk, days in kind.items()} for kind in facts)


def _call(loan: LoanAccount, collector, at: datetime, channel: str = "call") -> None:
    ContactAttempt.objects.create(loan=loan, collector=collector, channel=channel, at=at, outcome="no_answer")


def test_the_due_dates_and_call_days_of_any_loans_and_days():
    collector = UserFactory()
    early, late, current = delinquent_loan(), delinquent_loan(), delinquent_loan(days=0, bucket="current")
    LoanAccount.objects.filter(pk=late.pk).update(next_due_date=date(2027, 2, 1))
    late.refresh_from_db()
    _call(early, collector, datetime(2027, 1, 10, 15, tzinfo=UTC))
    _call(early, collector, datetime(2027, 2, 2, 3, 30, tzinfo=UTC))  # Feb 1 in Chicago, Feb 2 in UTC
    _call(late, collector, datetime(2027, 1, 20, 15, tzinfo=UTC))  # before its delinquency began
    _call(late, collector, datetime(2027, 2, 1, 15, tzinfo=UTC))
    _call(late, collector, datetime(2027, 2, 3, 15, tzinfo=UTC), channel="letter")  # not a call
    _call(current, collector, datetime(2027, 2, 3, 15, tzinfo=UTC))
    start = delinquency_start(early)
    for zone in ("America/Chicago", "UTC", "America/Chicago"):
        with timezone.override(zone):
            for loans in ([early, late, current], [late, early], [early], [late], [current]):
                for today in (date(2027, 2, 15), date(2027, 1, 31), start + timedelta(days=90)):
                    facts = cycle_facts(loans, today)
                    assert _sorted(facts) == _read_by_the_orm(loans, today), (zone, loans, today)
    with timezone.override("America/Chicago"):
        assert sorted(cycle_facts([early], date(2027, 2, 15))[1][early.pk]) == [date(2027, 1, 10), date(2027, 2, 1)]
    with timezone.override("UTC"):
        assert sorted(cycle_facts([early], date(2027, 2, 15))[1][early.pk]) == [date(2027, 1, 10), date(2027, 2, 2)]
