"""The board's columns: each stage's newest cards (compiled reads, crm.selectors) as the lead list filters them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm import selectors
from crm.models import Stage
from lending.core import roles
from tests.core.factories import user_with_role
from tests.crm.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _cards(columns):
    return {column["stage"]: [lead.pk for lead in column["cards"]] for column in columns}


def test_each_column_holds_the_newest_cards_the_user_may_see(officer, other_officer, manager, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_CARDS_PER_STAGE", 2)
    now = timezone.now()
    placed = [(Stage.NEW, officer), (Stage.NEW, other_officer), (Stage.NEW, officer), (Stage.NEW, officer)]
    placed += [(Stage.CONTACTED, other_officer), (Stage.LOST, officer)]
    for n, (stage, owner) in enumerate(placed):
        LeadFactory(stage=stage, officer=owner, created_at=now - timedelta(minutes=n), lost_reason="x")
    LeadFactory(stage=Stage.QUALIFIED, officer=None, created_at=now)
    for user, officer_id in (
        (manager, None),
        (manager, other_officer.pk),
        (officer, None),
        (officer, other_officer.pk),
    ):
        columns = selectors.board_columns(user, officer_id=officer_id)
        leads = selectors.leads_filtered(user, officer_id=officer_id)
        expected = {stage: [lead.pk for lead in leads.filter(stage=stage)[:2]] for stage in Stage.values}
        assert _cards(columns) == expected
        assert [column["total"] for column in columns] == [leads.filter(stage=s).count() for s in Stage.values]
    card, lead = selectors.board_columns(officer)[0]["cards"][0], selectors.leads_filtered(officer).first()
    assert (card.contact.last_name, card.source.code, card.officer, card.application) == (
        lead.contact.last_name,
        "website",
        officer,
        None,
    )


def test_a_user_without_a_crm_role_sees_empty_columns():
    clerk = user_with_role(roles.SERVICER, email="sam@lending.test")
    LeadFactory()
    assert _cards(selectors.board_columns(clerk)) == {stage: [] for stage in Stage.values}


@pytest.mark.postgres  # the plan of PostgreSQL's planner
@pytest.mark.parametrize("query", ["_CARDS", "_OFFICER_CARDS"])
def test_the_generic_plan_of_a_column_reads_its_cards_off_a_stage_index(query, officer):
    """A prepared statement's generic plan (one for every stage, chosen after five runs) must not walk the newest
    leads filtering the stage: for an empty stage that reads every lead."""
    LeadFactory(officer=officer)
    compiled = getattr(selectors, query)._compile()
    sql = compiled.sql
    for n in range(1, len(compiled.params) + 1):
        sql = sql.replace("%s", f"${n}", 1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE board_column AS {sql}")
        values = ", ".join("'application'" if isinstance(v, str) else str(officer.pk) for _, v in compiled.params)
        cursor.execute(f"EXPLAIN EXECUTE board_column({values})")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("DEALLOCATE board_column")
    assert re.search(r"Index Scan using crm_lead_(officer_)?stage_idx on crm_lead ", plan), plan
    assert "Sort" not in plan
