"""The CRM dashboard: funnel, conversion, speed to first contact and leaderboard figures, each role's view, and a
constant query count."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.selectors_dashboard import dashboard, percent
from lending.core import roles
from origination.models import Funding
from tests.core.factories import user_with_role
from tests.crm.factories import LeadFactory, LeadSourceFactory
from tests.money_asserts import texts_by_testid
from tests.origination.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(officer, other_officer):
    """Six leads (A: Olive, B: Oscar), hours to first contact in brackets:
    A website new (-), A website contacted (2), A open-house qualified (4), B website lost (10),
    A website won, funded 250,000.00 (1), B open-house application (6)."""
    now = timezone.now()
    website, house = LeadSourceFactory(code="website", name="Website"), LeadSourceFactory(code="open-house")

    def lead(officer, source, stage, hours=None, **kwargs):
        created = now - timedelta(days=2)
        first = created + timedelta(hours=hours) if hours is not None else None
        return LeadFactory(
            officer=officer, source=source, stage=stage, created_at=created, first_contacted_at=first, **kwargs
        )

    lead(officer, website, "new")
    lead(officer, website, "contacted", 2)
    lead(officer, house, "qualified", 4)
    lead(other_officer, website, "lost", 10, lost_reason="Rate")
    won = lead(officer, website, "won", 1, application=ApplicationFactory(status="funded"))
    Funding.objects.create(
        application=won.application,
        loan_amount=Decimal("250000.00"),
        disbursed_amount=Decimal("247500.00"),
        funded_on=now.date(),
        wire_reference="FW-1",
        funded_by=user_with_role(roles.CLOSER),
    )
    lead(other_officer, house, "application", 6, application=ApplicationFactory(status="submitted"))
    LeadFactory(officer=officer, source=website, created_at=now - timedelta(days=100))  # outside 90 days


def test_the_managers_figures(leads, manager):
    board = dashboard(manager, now=timezone.now())
    assert (board.total, board.with_application, board.won, board.contacted) == (6, 2, 1, 5)
    assert [(s["stage"], s["count"]) for s in board.stages] == [
        ("new", 1),
        ("contacted", 1),
        ("qualified", 1),
        ("application", 1),
        ("won", 1),
        ("lost", 1),
    ]
    # 2 of 6 leads applied = 33.3 %; 1 of 2 applications won = 50.0 %; 1 of 6 = 16.7 %.
    assert (board.lead_to_application, board.application_to_won, board.lead_to_won) == (
        Decimal("33.3"),
        Decimal("50.0"),
        Decimal("16.7"),
    )
    # Hours to first contact sorted: 1, 2, 4, 6, 10: the median is 4.0.
    assert board.median_hours_to_contact == Decimal("4.0")
    assert [(s["name"], s["total"], s["applied_rate"], s["won_rate"]) for s in board.sources] == [
        ("Website", 4, Decimal("25.0"), Decimal("25.0")),
        ("Open-House", 2, Decimal("50.0"), Decimal("0.0")),
    ]
    assert [(o["name"], o["total"], o["contacted"], o["applied"], o["won"], o["funded"]) for o in board.officers] == [
        ("Olive Officer", 4, 3, 1, 1, Decimal("250000.00")),
        ("Oscar Other", 2, 2, 1, 0, Decimal("0.00")),
    ]
    assert dashboard(manager, now=timezone.now(), period="all").total == 7


def test_an_officer_sees_only_their_own_figures(leads, officer):
    board = dashboard(officer, now=timezone.now())
    assert (board.total, board.with_application, board.won) == (4, 1, 1)
    assert (board.lead_to_application, board.application_to_won) == (Decimal("25.0"), Decimal("100.0"))
    assert board.median_hours_to_contact == Decimal("2.0")  # 1, 2, 4
    assert [o["name"] for o in board.officers] == ["Olive Officer"]


def test_an_even_count_takes_the_mean_of_the_middle_two(officer, manager):
    now = timezone.now()
    for hours in (1, 2, 5, 9):
        LeadFactory(
            officer=officer, created_at=now - timedelta(hours=20), first_contacted_at=now - timedelta(hours=20 - hours)
        )
    assert dashboard(manager, now=now).median_hours_to_contact == Decimal("3.5")  # (2 + 5) / 2


def test_the_median_of_the_middle_two_is_exact_to_the_second(officer, manager):
    """Speeds 1:00:00, 1:02:59, 1:03:01 and 5:00:00: the middle two average 1:03:00 = 1.05 h exactly, which rounds half
    up to 1.1 (a median a float's hair under 1:03:00 would show 1.0)."""
    now = timezone.now().replace(microsecond=0)
    created = now - timedelta(hours=20)
    for speed in (timedelta(hours=1), timedelta(minutes=62, seconds=59), timedelta(minutes=63, seconds=1)):
        LeadFactory(officer=officer, created_at=created, first_contacted_at=created + speed)
    LeadFactory(officer=officer, created_at=created, first_contacted_at=created + timedelta(hours=5))
    assert dashboard(manager, now=now).median_hours_to_contact == Decimal("1.1")


@pytest.mark.postgres  # the plan of PostgreSQL's planner
def test_the_median_reads_its_middle_rows_from_the_speed_index(officer, manager):
    """The middle rows by speed come from the partial index on the speed, not from sorting every contacted lead."""
    now = timezone.now()
    for hours in (1, 2, 5):
        LeadFactory(
            officer=officer, created_at=now - timedelta(hours=20), first_contacted_at=now - timedelta(hours=hours)
        )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as queries:
        assert dashboard(manager, now=now).median_hours_to_contact == Decimal("18.0")  # 15, 18, 19
    (median_sql,) = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "OFFSET" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {median_sql}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "crm_lead_speed_idx" in plan
    assert "Sort" not in plan


def test_no_leads_no_division_by_zero(manager):
    board = dashboard(manager, now=timezone.now())
    assert (board.total, board.lead_to_application, board.median_hours_to_contact) == (0, Decimal("0.0"), None)
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")


def _page_queries(client, url="/staff/crm/dashboard/"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_page_shows_the_figures_and_its_query_count_does_not_grow_with_leads(client, manager, leads):
    client.force_login(manager)
    count, response = _page_queries(client)
    html = response.content.decode()
    assert 'data-testid="lead-to-application">33.3%<' in html
    assert 'data-testid="speed">4.0 h<' in html
    assert texts_by_testid(html, "officer-funded") == ["$250,000.00", "$0.00"]  # Olive, Oscar
    assert 'id="crm-dashboard-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    for _ in range(20):
        LeadFactory(first_contacted_at=timezone.now())
    assert _page_queries(client)[0] == count
    assert _page_queries(client, "/staff/crm/dashboard/?period=all")[0] == count
    assert _page_queries(client, "/staff/crm/dashboard/?period=bogus")[0] == count


def test_who_may_open_the_dashboard(client, officer, borrower):
    assert client.get("/staff/crm/dashboard/").status_code == 302
    client.force_login(borrower)
    assert client.get("/staff/crm/dashboard/").status_code == 403
    client.force_login(user_with_role(roles.PROCESSOR))
    assert client.get("/staff/crm/dashboard/").status_code == 403
    client.force_login(officer)
    assert client.get("/staff/crm/dashboard/").status_code == 200
