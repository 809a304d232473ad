"""The leads' kept day counts (``LeadDayCount``, PostgreSQL): the leads' triggers keep them equal to the leads
through every kind of write, the counts read from them (kept whole days, counted partial days, one query) equal the
leads counted directly for any period and officer, the nightly merge keeps every count, and ``manage.py
lead_counts`` finds a wrong count and repairs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import selectors_counts
from crm.models import Lead, LeadDayCount, Stage
from crm.services.lead_counts import lead_counts_compact
from lending.core import roles
from tests.core.factories import user_with_role
from tests.crm.factories import LeadFactory, PartnerFactory
from tests.hypothesis_budget import examples
from tests.origination.factories import ApplicationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BY = ("officer_id", "source_id", "referral_partner_id", "stage")
START = datetime(2027, 3, 1, 14, 30, tzinfo=UTC)


def direct(since, until, officer_id):
    leads = Lead.objects.all()
    if since is not None:
        leads = leads.filter(created_at__gte=since)
    if until is not None:
        leads = leads.filter(created_at__lt=until)
    if officer_id is not None:
        leads = leads.filter(officer_id=officer_id)
    return sorted(map(sorted_items, selectors_counts._merged([selectors_counts._counted(leads, BY)], BY)), key=str)


def kept(since, until, officer_id):
    rows = selectors_counts.lead_counts(since=since, until=until, officer_id=officer_id, by=BY)
    return sorted(map(sorted_items, rows), key=str)


def sorted_items(row):
    return tuple(sorted(row.items(), key=lambda item: item[0]))


def stage_counts():
    return {row["stage"]: row["n"] for row in selectors_counts.lead_counts(since=None, officer_id=None, by=("stage",))}


@pytest.fixture
def leads():
    """Leads over five days (every 6 hours from Mar 1, 14:30 UTC), two officers, one partner; one with an
    application, one contacted."""
    ann, bob = user_with_role(roles.LOAN_OFFICER), user_with_role(roles.LOAN_OFFICER)
    partner = PartnerFactory()
    made = [
        LeadFactory(
            created_at=START + timedelta(hours=6 * n),
            officer=(ann, bob, None)[n % 3],
            referral_partner=partner if n % 4 == 0 else None,
        )
        for n in range(20)
    ]
    Lead.objects.filter(pk=made[3].pk).update(application=ApplicationFactory(), stage=Stage.APPLICATION)
    Lead.objects.filter(pk=made[5].pk).update(first_contacted_at=START + timedelta(days=2), stage=Stage.CONTACTED)
    return ann, bob, made


PERIODS = [
    (None, None),
    (START, None),
    (START + timedelta(hours=1), START + timedelta(days=3, hours=5)),  # partial first and last days
    (START + timedelta(hours=10), START + timedelta(hours=20)),  # within a day or two: counted
    (datetime(2027, 3, 2, tzinfo=UTC), datetime(2027, 3, 4, tzinfo=UTC)),  # midnight to midnight
    (None, START + timedelta(days=2)),
]


def test_the_counts_equal_the_leads_for_any_period_and_officer(leads):
    ann, bob, _ = leads
    for since, until in PERIODS:
        for officer in (None, ann.pk, bob.pk):
            assert kept(since, until, officer) == direct(since, until, officer), (since, until, officer)
    assert selectors_counts.lead_count_mismatches() == []


def test_a_partners_counts_equal_its_leads(leads):
    partner = Lead.objects.exclude(referral_partner=None).values_list("referral_partner_id", flat=True).first()
    for since, until in PERIODS:
        rows = selectors_counts.lead_counts(since=since, until=until, officer_id=None, partner_id=partner, by=BY)
        everyone = selectors_counts.lead_counts(since=since, until=until, officer_id=None, by=BY)
        assert sorted(map(sorted_items, rows), key=str) == sorted(
            (sorted_items(row) for row in everyone if row["referral_partner_id"] == partner), key=str
        )
        assert all(row["referral_partner_id"] == partner for row in rows)


def test_one_query_whatever_the_period(leads, django_assert_num_queries):
    for since, until in PERIODS:
        with django_assert_num_queries(1):
            selectors_counts.lead_counts(since=since, until=until, officer_id=None, by=("stage",))


def test_the_board_and_dashboard_counts_follow_each_change(leads):
    ann, _bob, made = leads
    counts = {
        row["stage"]: row["n"] for row in selectors_counts.lead_counts(since=None, officer_id=None, by=("stage",))
    }
    assert (counts["new"], counts["application"], counts["contacted"]) == (18, 1, 1)
    Lead.objects.filter(pk=made[0].pk).update(stage=Stage.LOST, lost_reason="Rate")
    made[1].delete()
    LeadFactory(officer=ann, created_at=START)
    counts = {
        row["stage"]: row["n"] for row in selectors_counts.lead_counts(since=None, officer_id=None, by=("stage",))
    }
    assert (counts["new"], counts["lost"]) == (17, 1)
    assert selectors_counts.lead_count_mismatches() == []


def test_the_nightly_merge_keeps_every_count_and_is_idempotent(leads):
    _ann, _bob, made = leads
    Lead.objects.filter(pk=made[0].pk).update(stage=Stage.LOST, lost_reason="Rate")
    before = kept(None, None, None)
    assert lead_counts_compact() > 0
    assert LeadDayCount.objects.values(
        "day", "officer", "source", "partner", "stage", "applied", "reached"
    ).distinct().count() == (LeadDayCount.objects.count())
    assert kept(None, None, None) == before
    assert lead_counts_compact() == 0


def test_the_command_finds_a_wrong_count_and_rebuilds_them(leads):
    source = Lead.objects.values_list("source_id", flat=True).first()
    LeadDayCount.objects.create(day="2027-03-01", source=source, stage="new", applied=False, reached=False, leads=2)
    out = StringIO()
    with pytest.raises(CommandError, match=r"lead_counts found 1 difference"):
        call_command("lead_counts", stdout=out)
    assert (
        f"Leads 2027-03-01 / None / {source} / None / new / False / False: kept 2, the leads say 0\n" in out.getvalue()
    )
    call_command("lead_counts", "--rebuild", stdout=StringIO())
    verified = StringIO()
    call_command("lead_counts", stdout=verified)
    assert verified.getvalue() == "Lead counts verified: the kept counts equal the leads.\n"


change = st.tuples(
    st.integers(0, 19),
    st.sampled_from(["stage", "officer", "contacted", "created", "delete", "partner"]),
    st.integers(0, 9),
)


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(change, min_size=1, max_size=8), compact=st.booleans())
def test_random_changes_keep_the_counts_equal_to_the_leads(leads, changes, compact):
    ann, bob, made = leads
    with transaction.atomic():
        for index, kind, n in changes:
            lead = Lead.objects.filter(pk=made[index].pk)
            if kind == "stage":
                lead.update(stage=[Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED][n % 3])
            elif kind == "officer":
                lead.update(officer=(ann, bob, None)[n % 3])
            elif kind == "contacted":
                lead.update(first_contacted_at=START + timedelta(hours=n) if n % 2 else None)
            elif kind == "created":
                lead.update(created_at=START + timedelta(hours=7 * n))
            elif kind == "partner":
                lead.update(referral_partner=None)
            else:
                lead.delete()
        if compact:
            lead_counts_compact()
        for since, until in PERIODS:
            assert kept(since, until, None) == direct(since, until, None), (since, until)
        assert selectors_counts.lead_count_mismatches() == []
        transaction.set_rollback(True)
