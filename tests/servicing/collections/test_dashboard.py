"""The collections dashboard: buckets, promises, roll rates and collector activity with hand-counted figures; who
may see it; a constant number of queries; and the queue's CSV export (same filters, exact rows, streamed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from servicing.models import ContactAttempt, LoanAccount, PromiseToPay
from servicing.selectors.collections_dashboard import (
    buckets_summary,
    collector_activity,
    month_ends,
    promises_summary,
    roll_rates,
)
from servicing.services.charge_off import loan_charge_off
from servicing.services.ledger import journal_post
from servicing.views.collections_dashboard import EXPORT_HEADER
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan, history_row

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2027, 3, 10)
NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def test_buckets_count_active_delinquent_loans_and_their_balances():
    first, _second = delinquent_loan(days=45, bucket="30-59"), delinquent_loan(days=50, bucket="30-59")
    delinquent_loan(days=100, bucket="90-119")
    delinquent_loan(days=0, bucket="current")  # current: not listed
    gone = delinquent_loan(days=200, bucket="120+")
    loan_charge_off(actor=user_with_role(roles.MANAGER), loan=gone, reason="x", as_of=date(2027, 3, 1))
    journal_post(
        actor=None,
        loan=first,
        effective_date=date(2027, 2, 16),
        kind="fee",
        memo="",
        lines=[("fees_receivable", D("25.00"), 0), ("fee_income", 0, D("25.00"))],
    )
    rows = {row.bucket: (row.loans, row.principal, row.interest_and_fees, row.balance) for row in buckets_summary()}
    assert rows == {
        "1-29": (0, D("0.00"), D("0.00"), D("0.00")),
        "30-59": (2, D("600000.00"), D("25.00"), D("600025.00")),
        "60-89": (0, D("0.00"), D("0.00"), D("0.00")),
        "90-119": (1, D("300000.00"), D("0.00"), D("300000.00")),
        "120+": (0, D("0.00"), D("0.00"), D("0.00")),  # the charged-off loan is not in it
    }


def _promise(loan, user, amount: str, status: str, resolved_on: date | None, created_days_ago: int = 1):
    return PromiseToPay.objects.create(
        loan=loan,
        amount=D(amount),
        promised_date=resolved_on or TODAY,
        made_on=(resolved_on or TODAY) - timedelta(days=5),
        made_by=user,
        status=status,
        resolved_on=resolved_on,
        paid_amount=D("0.00") if resolved_on else None,
        created_at=NOW - timedelta(days=created_days_ago),
    )


def test_promises_kept_and_broken_this_month_and_last():
    loan, collector = delinquent_loan(), user_with_role(roles.COLLECTOR)
    _promise(loan, collector, "100.00", "kept", date(2027, 3, 5))
    _promise(loan, collector, "50.00", "kept", date(2027, 3, 1))
    _promise(loan, collector, "200.00", "broken", date(2027, 3, 9))
    _promise(loan, collector, "75.00", "kept", date(2027, 2, 27))
    _promise(loan, collector, "10.00", "broken", date(2027, 2, 1))
    _promise(loan, collector, "999.00", "broken", date(2027, 1, 31))  # two months ago: not counted
    _promise(loan, collector, "5.00", "pending", None)
    months, open_promises = promises_summary(TODAY)
    this, last = months
    # This month: kept 100.00 + 50.00 = 150.00 (2), broken 200.00 (1): 2 of 3 kept = 66.7%.
    assert (this.label, this.kept, this.kept_amount, this.broken, this.broken_amount) == (
        "March 2027 (to date)",
        2,
        D("150.00"),
        1,
        D("200.00"),
    )
    assert this.kept_share == D("66.7")
    assert (last.label, last.kept, last.kept_amount, last.broken, last.broken_amount, last.kept_share) == (
        "February 2027",
        1,
        D("75.00"),
        1,
        D("10.00"),
        D("50.0"),
    )
    assert open_promises == 1


def test_month_ends():
    assert month_ends(TODAY, 3) == [date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28), TODAY]


def test_roll_rates_month_over_month():
    a, b, c = delinquent_loan(), delinquent_loan(), delinquent_loan()
    # A: 1-29 at Jan 31, 30-59 at Feb 28, 60-89 on Mar 10 (rolled twice).
    history_row(a, date(2027, 1, 20), "current", "1-29")
    history_row(a, date(2027, 2, 5), "1-29", "30-59")
    history_row(a, date(2027, 3, 5), "30-59", "60-89")
    # B: 1-29 at Jan 31, cured by Feb 28.
    history_row(b, date(2027, 1, 25), "current", "1-29")
    history_row(b, date(2027, 2, 10), "1-29", "current")
    # C: 30-59 at Feb 28, charged off on Mar 1 (left: did not roll).
    history_row(c, date(2027, 2, 15), "current", "30-59")
    loan_charge_off(actor=user_with_role(roles.MANAGER), loan=c, reason="x", as_of=date(2027, 3, 1))
    months, rolls = roll_rates(TODAY, months=2)
    assert months == ["2027-02", "2027-03"]
    table = {(r.month, r.from_bucket): (r.rolled, r.loans, r.percent) for r in rolls}
    assert table[("2027-02", "1-29")] == (1, 2, D("50.0"))  # A of A, B
    assert table[("2027-03", "30-59")] == (1, 2, D("50.0"))  # A of A, C
    assert table[("2027-03", "1-29")] == (0, 0, None)
    assert table[("2027-02", "30-59")] == (0, 0, None)
    assert len(rolls) == 8  # 2 months x 4 rolls


def test_roll_rates_take_the_months_last_move_and_skip_loans_gone_before_the_month():
    d, e, f, g = delinquent_loan(), delinquent_loan(), delinquent_loan(), delinquent_loan()
    # D: 1-29 at Jan 31; two moves in February (30-59, then 60-89): 60-89 at Feb 28, so 1-29 did not roll to 30-59.
    history_row(d, date(2027, 1, 10), "current", "1-29")
    history_row(d, date(2027, 2, 3), "1-29", "30-59")
    history_row(d, date(2027, 2, 20), "30-59", "60-89")
    # E: 1-29 at Jan 31; to 30-59 and back to 1-29 in February (not rolled); 30-59 again on Mar 5 (rolled).
    history_row(e, date(2027, 1, 5), "current", "1-29")
    history_row(e, date(2027, 2, 2), "1-29", "30-59")
    history_row(e, date(2027, 2, 25), "30-59", "1-29")
    history_row(e, date(2027, 3, 5), "1-29", "30-59")
    # F: 30-59 on Jan 15, paid off on Jan 20: in no bucket at Jan 31, so in no February figure.
    history_row(f, date(2027, 1, 15), "current", "30-59")
    LoanAccount.objects.filter(pk=f.pk).update(status="paid_off", paid_off_on=date(2027, 1, 20))
    # G: 60-89 at Jan 31, paid off on Feb 14: counted in February's 60-89 loans, not rolled.
    history_row(g, date(2027, 1, 12), "current", "60-89")
    LoanAccount.objects.filter(pk=g.pk).update(status="paid_off", paid_off_on=date(2027, 2, 14))
    months, rolls = roll_rates(TODAY, months=2)
    assert months == ["2027-02", "2027-03"]
    assert [(r.month, r.from_bucket, r.to_bucket, r.rolled, r.loans, r.percent) for r in rolls] == [
        ("2027-02", "1-29", "30-59", 0, 2, D("0.0")),  # D and E
        ("2027-02", "30-59", "60-89", 0, 0, None),  # F left in January
        ("2027-02", "60-89", "90-119", 0, 1, D("0.0")),  # G
        ("2027-02", "90-119", "120+", 0, 0, None),
        ("2027-03", "1-29", "30-59", 1, 1, D("100.0")),  # E
        ("2027-03", "30-59", "60-89", 0, 0, None),
        ("2027-03", "60-89", "90-119", 0, 1, D("0.0")),  # D
        ("2027-03", "90-119", "120+", 0, 0, None),
    ]


def test_collector_activity_over_the_last_30_days():
    cora = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    user_with_role(roles.COLLECTOR, first_name="Zed", last_name="Idle")
    boss = user_with_role(roles.MANAGER, first_name="Mia", last_name="Manager")
    loan = delinquent_loan()

    def contact(user, days_ago: int, rpc: bool):
        ContactAttempt.objects.create(
            loan=loan,
            collector=user,
            channel="call",
            outcome="promise",
            at=NOW - timedelta(days=days_ago),
            right_party_contact=rpc,
        )

    contact(cora, 1, True)
    contact(cora, 10, True)
    contact(cora, 29, False)
    contact(cora, 31, True)  # too old
    contact(boss, 2, False)
    _promise(loan, cora, "120.00", "kept", date(2027, 3, 5), created_days_ago=8)
    _promise(loan, cora, "30.50", "pending", None, created_days_ago=3)
    _promise(loan, cora, "999.00", "broken", date(2027, 2, 1), created_days_ago=40)  # too old
    rows = [
        (r.name, r.contacts, r.right_party_contacts, r.promises, r.promised_amount)
        for r in collector_activity(NOW - timedelta(days=30))
    ]
    assert rows == [
        ("Cora Collector", 3, 2, 2, D("150.50")),
        ("Mia Manager", 1, 0, 0, D("0.00")),
        ("Zed Idle", 0, 0, 0, D("0.00")),
    ]


def test_collector_activity_without_a_collector_group_lists_who_worked_the_loans():
    """No collector role in the database (its group never made): the people who logged contacts or took promises
    are still counted, to the cent, and nobody else is listed."""
    boss = user_with_role(roles.MANAGER, first_name="Mia", last_name="Manager")
    Group.objects.filter(name=roles.COLLECTOR).delete()
    loan = delinquent_loan()
    ContactAttempt.objects.create(
        loan=loan,
        collector=boss,
        channel="call",
        outcome="promise",
        at=NOW - timedelta(days=1),
        right_party_contact=True,
    )
    _promise(loan, boss, "0.10", "pending", None, created_days_ago=2)
    _promise(loan, boss, "0.20", "kept", date(2027, 3, 5), created_days_ago=2)
    rows = [
        (r.name, r.contacts, r.right_party_contacts, r.promises, r.promised_amount)
        for r in collector_activity(NOW - timedelta(days=30))
    ]
    assert rows == [("Mia Manager", 1, 1, 2, D("0.30"))]


@pytest.mark.parametrize("role", [roles.SERVICER, roles.BORROWER, roles.LOAN_OFFICER])
def test_other_roles_get_403(client, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("collections:dashboard")).status_code == 403
    assert client.get(reverse("collections:queue-export")).status_code == 403


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.MANAGER])
def test_collectors_and_managers_see_the_dashboard(client, role):
    client.force_login(user_with_role(role))
    delinquent_loan(days=45, bucket="30-59")
    response = client.get(reverse("collections:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<tr data-testid="bucket-row"><td>30-59</td><td class="text-end">1</td><td class="text-end">$300,000.00</td>'
        '<td class="text-end">$0.00</td><td class="text-end">$300,000.00</td></tr>'
    ) in page
    assert "share in the next bucket at the end of the month" in page
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js"></script>' in page
    assert '<script src="/static/js/collections_dashboard.js"></script>' in page
    assert '<script id="dashboard-data" type="application/json">' in page
    assert '"loans": [0, 1, 0, 0, 0]' in page


def test_the_dashboard_query_count_does_not_grow(client, django_assert_max_num_queries):
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)

    def some(n):
        for _ in range(n):
            loan = delinquent_loan()
            history_row(loan, date(2027, 2, 1), "current", "30-59")
            ContactAttempt.objects.create(
                loan=loan, collector=collector, channel="letter", outcome="sent", at=timezone.now()
            )
            _promise(loan, collector, "10.00", "kept", date(2027, 3, 2))

    some(1)
    with django_assert_max_num_queries(12) as one:
        assert client.get(reverse("collections:dashboard")).status_code == 200
    some(4)
    user_with_role(roles.COLLECTOR)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("collections:dashboard")).status_code == 200


def _csv(client, **params) -> list[str]:
    response = client.get(reverse("collections:queue-export"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="collections-queue-2027-03-10.csv"'
    return b"".join(response.streaming_content).decode().splitlines()


def test_the_queue_export_has_the_queues_rows_and_filters(client, django_assert_max_num_queries):
    collector = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    client.force_login(collector)
    older = delinquent_loan(days=70, bucket="60-89")
    LoanAccount.objects.filter(pk=older.pk).update(borrower_name="=HYPERLINK(evil)")
    newer = delinquent_loan(days=45, bucket="30-59")
    LoanAccount.objects.filter(pk=newer.pk).update(collector=collector)
    at = datetime(2027, 3, 9, 20, 30, tzinfo=UTC)  # 2:30 p.m. in Chicago (the servicer's zone)
    ContactAttempt.objects.create(loan=newer, collector=collector, channel="call", outcome="no_answer", at=at)
    older.refresh_from_db()
    newer.refresh_from_db()

    rows = _csv(client)
    assert rows[0] == ",".join(EXPORT_HEADER)
    assert rows[0] == (
        "Loan number,Borrower,Days past due,Bucket,To bring current,Product,Property state,Collector,Last contact,"
        "Open promise,Promised date"
    )
    # Both owe Jan 1 ($3,396.26) + Feb 1 ($2,421.20) = $5,817.46 (helpers.delinquent_loan). Most days first.
    product = older.product_code
    assert rows[1:] == [
        f"{older.loan_number},'=HYPERLINK(evil),70,60-89,5817.46,{product},IL,,,,",
        f"{newer.loan_number},{newer.borrower_name},45,30-59,5817.46,{newer.product_code},IL,Cora Collector,"
        f"{timezone.localtime(at):%Y-%m-%d %H:%M},,",
    ]
    assert _csv(client, bucket="30-59")[1:] == [rows[2]]
    assert _csv(client, collector="none")[1:] == [rows[1]]
    with django_assert_max_num_queries(9) as few:  # + the collector group by id (users_with_role)
        _csv(client)
    for _ in range(3):
        delinquent_loan()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_csv(client)) == 6
    bad = client.get(reverse("collections:queue-export"), {"state": "I1"})
    assert bad.status_code == 400
    assert bad.content.decode() == "Bad filter: state: Enter a two-letter state code, such as IL."


def test_the_queue_links_its_export_with_its_filters_and_the_dashboard(client):
    client.force_login(user_with_role(roles.COLLECTOR))
    page = client.get(reverse("collections:queue"), {"bucket": "30-59", "state": "IL"}).content.decode()
    assert 'href="/staff/collections/queue.csv?bucket=30-59&amp;state=IL" data-testid="queue-export"' in page
    assert 'href="/staff/collections/dashboard/"' in page
