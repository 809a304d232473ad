"""The board's columns: each stage's newest cards (compiled reads, crm.selectors) as the lead list filters them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import engines
from django.utils import timezone

from crm import selectors
from crm.models import Contact, Stage
from crm.services.leads import MANUAL_MOVES
from lending.core import roles
from lending.core.compiled import CompiledQuery
from tests.core.factories import user_with_role
from tests.crm.factories import ContactFactory, LeadFactory
from tests.origination.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def _cards(columns):
    return {column["stage"]: [lead.pk for lead in column["cards"]] for column in columns}


def test_each_column_holds_the_newest_cards_the_user_may_see(officer, other_officer, manager, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_CARDS_PER_STAGE", 2)
    # The columns' reads keep their SQL, the limit in it, once compiled in this process (an earlier test may have
    # compiled them with 20): fresh ones compile with this limit.
    for name in ("_CARDS", "_OFFICER_CARDS"):
        kept = getattr(selectors, name)
        monkeypatch.setattr(selectors, name, CompiledQuery(kept._build, **kept._kinds))
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


# The cards as _board_columns.html drew them before {% board_cards %}: the tag must give this HTML byte for byte.
CARDS_AS_MARKUP = """{% load crm_tags %}{% for lead in cards %}
        <article class="border rounded p-2 mb-2 bg-white" data-testid="card-{{ lead.pk }}">
          <a href="{% url 'crm:lead' lead.pk %}">{{ lead.contact }}</a>
          <div class="small text-muted">{{ lead.source.name }}{% if lead.officer %} · {{ lead.officer }}{% endif %}</div>
          {% if lead.stage == "lost" %}<div class="small">{{ lead.lost_reason }}</div>{% endif %}
          {% if lead.application %}<div class="small">{{ lead.application.number }}</div>{% endif %}
          {% with allowed=moves|get_item:lead.stage %}{% if allowed %}
          <form class="mt-1" hx-post="{% url 'crm:lead-move' lead.pk %}{% if officer_id %}?officer={{ officer_id }}{% endif %}" hx-target="#board" hx-swap="outerHTML">
            <div class="input-group input-group-sm">
              <select name="stage" class="form-select form-select-sm" aria-label="Move to">
                {% for s in allowed %}<option value="{{ s }}">{{ stages|get_item:s }}</option>{% endfor %}
              </select>
              <button class="btn btn-outline-primary">Move</button>
            </div>
            <input name="lost_reason" class="form-control form-control-sm mt-1" placeholder="Reason, if lost" maxlength="200">
          </form>
          {% endif %}{% endwith %}
        </article>
      {% empty %}<p class="small text-muted mb-0">None.</p>{% endfor %}"""  # noqa: E501


def test_board_cards_draw_the_cards_as_the_markup_did(officer):
    odd = ContactFactory(first_name="<Ann>", last_name="O'Hara & Co")
    leads = [
        LeadFactory(officer=officer, contact=odd),
        LeadFactory(officer=None, stage=Stage.CONTACTED),
        LeadFactory(officer=officer, stage=Stage.QUALIFIED),
        LeadFactory(officer=officer, stage=Stage.LOST, lost_reason="Went <elsewhere> & more"),
        LeadFactory(officer=officer, stage=Stage.APPLICATION, application=ApplicationFactory()),
    ]
    cards = list(selectors.leads_filtered(officer).filter(pk__in=[lead.pk for lead in leads]))
    assert Contact.objects.filter(first_name="<Ann>").exists()
    engine = engines["django"]
    tag = engine.from_string("{% load crm_tags %}{% board_cards cards moves stages officer_id %}")
    markup = engine.from_string(CARDS_AS_MARKUP)
    for shown, officer_id in ((cards, None), (cards, officer.pk), ([], None)):
        context = {"cards": shown, "moves": MANUAL_MOVES, "stages": dict(Stage.choices), "officer_id": officer_id}
        assert tag.render(context) == markup.render(context)
    html = tag.render({"cards": cards, "moves": MANUAL_MOVES, "stages": dict(Stage.choices), "officer_id": 7})
    assert "&lt;Ann&gt; O&#x27;Hara &amp; Co" in html
    assert f'hx-post="/staff/crm/leads/{leads[0].pk}/move/?officer=7"' in html
