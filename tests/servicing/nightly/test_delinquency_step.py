"""Close of business, delinquency: days past due, bucket and status stored on the loan, a history row only on a
change of bucket or status, set-based and idempotent."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import DelinquencyHistory, Installment, LoanAccount
from servicing.services import payments
from servicing.services.nightly.steps.delinquency import DelinquencyStep
from servicing.services.payments import payment_post
from servicing.services.posting import loans_dates_refresh
from tests.core.factories import user_with_role
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))


def _age(day, ids=None):
    step = DelinquencyStep()
    pending = list(step.pending_loan_ids(day))
    return pending, step.run_chunk(day, pending if ids is None else ids, None)


def _figures(loan):
    loan.refresh_from_db()
    return loan.days_past_due, loan.delinquency_bucket, loan.delinquency_status, loan.delinquency_as_of


def _history(loan):
    return list(
        DelinquencyHistory.objects.filter(loan=loan).values_list("as_of", "bucket_from", "bucket_to", "status_to")
    )


@pytest.fixture
def month_end_loan():
    """Due on the 31st: installments fall due Jan 31, Feb 28 (clamped), Mar 31, Apr 30, May 31 2027."""
    loan = boarded_loan(first_payment_date=date(2027, 1, 31))
    due = list(Installment.objects.filter(loan=loan).order_by("number").values_list("due_date", flat=True)[:5])
    assert due == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]
    return loan


def test_a_new_loan_is_current_and_pending_until_aged(month_end_loan):
    loan = month_end_loan
    assert _figures(loan) == (0, "current", "current", None)
    pending, result = _age(date(2027, 1, 29))
    assert pending == [loan.pk]
    assert (result.done, result.errors) == (1, [])
    assert _figures(loan) == (0, "current", "current", date(2027, 1, 29))
    assert _history(loan) == []  # no change, no row
    assert list(DelinquencyStep().pending_loan_ids(date(2027, 1, 29))) == []
    assert list(DelinquencyStep().pending_loan_ids(date(2027, 2, 1))) == [loan.pk]


def test_buckets_across_month_ends_and_history_only_on_change(month_end_loan):
    loan = month_end_loan
    # Jan 31 unpaid. MBA: 30 days delinquent at the close of Feb 27 (eve of Feb 28), 60 at the close of March 30
    # (eve of March 31, the schedule's day, not the 28th).
    expected = [
        (date(2027, 1, 29), (0, "current", "current")),
        (date(2027, 2, 1), (1, "1-29", "delinquent")),  # Feb 1 - Jan 31 = 1 day
        (date(2027, 2, 26), (26, "1-29", "delinquent")),
        (date(2027, 2, 27), (27, "30-59", "delinquent")),
        (date(2027, 3, 29), (57, "30-59", "delinquent")),  # 28 (Feb) + 29
        (date(2027, 3, 30), (58, "60-89", "delinquent")),
        (date(2027, 5, 30), (119, "120+", "default")),  # eve of May 31: four missed payments
    ]
    for day, figures in expected:
        _age(day)
        assert _figures(loan) == (*figures, day), day
    assert _history(loan) == [
        (date(2027, 2, 1), "current", "1-29", "delinquent"),
        (date(2027, 2, 27), "1-29", "30-59", "delinquent"),
        (date(2027, 3, 30), "30-59", "60-89", "delinquent"),
        (date(2027, 5, 30), "60-89", "120+", "default"),
    ]
    row = DelinquencyHistory.objects.get(loan=loan, as_of=date(2027, 5, 30))
    assert (row.days_past_due, row.oldest_unpaid_due_date, row.status_from) == (119, date(2027, 1, 31), "delinquent")
    events = AuditEvent.objects.filter(verb="loan.delinquency_changed", target_id=str(loan.pk)).order_by("pk")
    assert events.count() == 4
    last = events.last()
    assert (last.target_repr, last.before, last.after) == (
        loan.loan_number,
        {"bucket": "60-89", "status": "delinquent"},
        {
            "bucket": "120+",
            "status": "default",
            "days_past_due": 119,
            "as_of": "2027-05-30",
            "oldest_unpaid_due_date": "2027-01-31",
        },
    )


def test_a_payment_brings_the_loan_back_and_a_paid_installment_owing_only_a_fee_is_not_late():
    loan = boarded_loan()  # installments due the 1st
    _age(date(2027, 1, 4))
    assert _figures(loan)[:3] == (3, "1-29", "delinquent")
    first = Installment.objects.get(loan=loan, number=1)
    payment_post(
        loan=loan,
        amount=first.payment,
        effective_date=date(2027, 1, 5),
        method="check",
        reference="p1",
        idempotency_key="p1",
        actor=None,
    )
    # A late fee still owed on the paid installment does not count (Reg Z 1026.36(c)(2)).
    Installment.objects.filter(pk=first.pk).update(late_fees=Decimal("94.81"))
    _age(date(2027, 1, 5))
    assert _figures(loan) == (0, "current", "current", date(2027, 1, 5))
    assert _history(loan)[-1] == (date(2027, 1, 5), "1-29", "current", "current")


def test_a_rerun_writes_nothing(month_end_loan):
    loan = month_end_loan
    other = boarded_loan()
    _age(date(2027, 2, 27))
    before = (DelinquencyHistory.objects.count(), AuditEvent.objects.count(), _figures(loan), _figures(other))
    assert list(DelinquencyStep().pending_loan_ids(date(2027, 2, 27))) == []
    # Called directly on the same date: every loan is already aged for it, nothing is read as changed.
    result = DelinquencyStep().run_chunk(date(2027, 2, 27), [loan.pk, other.pk], None)
    assert result.done == 2
    assert (DelinquencyHistory.objects.count(), AuditEvent.objects.count(), _figures(loan), _figures(other)) == before


def test_the_chunk_costs_the_same_queries_for_one_loan_or_many(django_assert_num_queries):
    loans = [boarded_loan() for _ in range(5)]
    step = DelinquencyStep()
    # Savepoint, the read (loans with their oldest unpaid due date), the UPDATE of the changed loans, the history
    # INSERT, the audit INSERT, release: 6 for one loan as for four.
    with django_assert_num_queries(6):
        step.run_chunk(date(2027, 1, 4), [loans[0].pk], None)
    with django_assert_num_queries(6):
        step.run_chunk(date(2027, 1, 4), [loan.pk for loan in loans[1:]], None)
    # Next night, with a sixth loan that has paid and stays current: loans 0-1 paid up (history rows), loans 2-4
    # a day older (their figures change, no history), loan 5 unchanged but for its as-of date (one more UPDATE).
    current = boarded_loan()
    loans.append(current)
    for loan in (*loans[:2], current):
        Installment.objects.filter(loan=loan, number=1).update(paid_on=date(2027, 1, 4))
    loans_dates_refresh([loan.pk for loan in (*loans[:2], current)])  # as the payment services do
    with django_assert_num_queries(7):
        step.run_chunk(date(2027, 1, 5), [loan.pk for loan in loans], None)
    assert DelinquencyHistory.objects.count() == 5 + 2
    assert [_figures(loan)[:2] for loan in loans] == [(0, "current")] * 2 + [(4, "1-29")] * 3 + [(0, "current")]
    assert _figures(current)[3] == date(2027, 1, 5)


def test_only_active_loans_are_aged(month_end_loan):
    LoanAccount.objects.filter(pk=month_end_loan.pk).update(status="paid_off")
    assert list(DelinquencyStep().pending_loan_ids(date(2027, 2, 1))) == []


# --- the staff loan list: filter by bucket, days past due shown ------------------------------------------------


def test_staff_list_filters_by_bucket_and_shows_days_past_due(client, month_end_loan):
    late = month_end_loan
    current = boarded_loan(first_payment_date=date(2027, 3, 1))  # nothing due yet on Feb 27
    _age(date(2027, 2, 27))  # late: Jan 31 unpaid, 27 days, MBA 30-59
    client.force_login(user_with_role(roles.COLLECTOR))
    home = reverse("servicing:home")

    body = client.get(home).content.decode()
    cells = re.findall(r'<td class="text-end" data-testid="days-past-due">(.*?)</td>', body)
    assert cells == ["0", '27 <span class="badge text-bg-warning">30-59</span>']  # newest first: current, late

    body = client.get(home, {"bucket": "30-59"}).content.decode()
    assert late.loan_number in body
    assert current.loan_number not in body
    body = client.get(home, {"bucket": "current"}).content.decode()
    assert current.loan_number in body
    assert late.loan_number not in body
    body = client.get(home, {"bucket": "120+"}).content.decode()
    assert "No loan accounts match" in body
    body = client.get(home, {"bucket": "bogus"}).content.decode()  # unknown: no filter, not an error
    assert late.loan_number in body
    assert current.loan_number in body
    # The filter links keep the other filters; the bucket survives in the status links.
    body = client.get(home, {"bucket": "120+", "status": "active"}).content.decode()
    assert 'href="?status=paid_off&amp;bucket=120%2B"' in body
    assert 'href="?bucket=60-89&amp;status=active"' in body


def test_staff_list_query_count_does_not_grow_with_the_filter(client, django_assert_max_num_queries):
    for _ in range(3):
        boarded_loan(consumer=True)
    _age(date(2027, 1, 4))
    client.force_login(user_with_role(roles.SERVICER))
    with django_assert_max_num_queries(7) as few:
        client.get(reverse("servicing:home"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("servicing:home"), {"bucket": "1-29"})
    assert len(response.context["loans"]) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_on_the_same_chunk_age_each_loan_once():
    loans = [boarded_loan() for _ in range(3)]
    ids = [loan.pk for loan in loans]
    results = []

    def work(index):
        results.append(DelinquencyStep().run_chunk(date(2027, 1, 4), ids, None))

    assert run_in_threads(4, work) == []
    assert [r.errors for r in results] == [[]] * 4
    assert DelinquencyHistory.objects.count() == 3  # one current -> 1-29 row per loan, not four
    assert [_figures(loan)[:3] for loan in loans] == [(3, "1-29", "delinquent")] * 3


def test_the_loan_page_shows_the_aged_figures(client, month_end_loan):
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("servicing:loan-detail", args=[month_end_loan.pk])
    pattern = r'<p class="small mb-0" data-testid="delinquency">(.*?)</p>'
    assert re.search(pattern, client.get(url).content.decode()).group(1) == (
        '<span class="text-muted">Not aged yet by the close of business.</span>'
    )
    _age(date(2027, 2, 27))
    assert re.search(pattern, client.get(url).content.decode()).group(1) == (
        '27 days past due · 30-59 days · delinquent <span class="text-muted">(aged 2027-02-27)</span>'
    )
