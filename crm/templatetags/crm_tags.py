"""The CRM's template tags: ``get_item``, and ``{% board_cards %}``, a board column's cards drawn in Python.

As template markup each of the board's up to 120 cards cost two ``{% url %}`` tags, a ``{% with %}``, a loop over its
moves and a dozen variables (the board's rendering was about half of its CPU, issue 15 "Pages"); one ``format_row`` a
card costs a fraction of that. The HTML is the same, byte for byte (each card with the whitespace the loop around it
gave), escaped as the template escaped it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from crm.models import Lead, Stage
from lending.core.templatetags.rows import format_row, joined

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (the board's allowed moves and stage labels)."""
    return mapping.get(key, "")


NO_CARDS = mark_safe('<p class="small text-muted mb-0">None.</p>')
CARD = (
    '\n        <article class="border rounded p-2 mb-2 bg-white" data-testid="card-{}">\n'
    '          <a href="{}">{}</a>\n'
    '          <div class="small text-muted">{}{}</div>\n'
    "          {}\n"
    "          {}\n"
    "          {}\n"
    "        </article>\n      "
)
MOVE_FORM = (
    '\n          <form class="mt-1" hx-post="{}{}" hx-target="#board" hx-swap="outerHTML">\n'
    '            <div class="input-group input-group-sm">\n'
    '              <select name="stage" class="form-select form-select-sm" aria-label="Move to">\n'
    "                {}\n"
    "              </select>\n"
    '              <button class="btn btn-outline-primary">Move</button>\n'
    "            </div>\n"
    '            <input name="lost_reason" class="form-control form-control-sm mt-1" placeholder="Reason, if lost"'
    ' maxlength="200">\n'
    "          </form>\n          "
)


@register.simple_tag
def board_cards(
    leads: Iterable[Lead], moves: Mapping[str, Iterable[str]], stages: Mapping[str, str], officer_id: int | None
) -> SafeString:
    """A column's cards (``_board_columns.html``'s loop over them), "None." when it has none."""
    links = {"lead": _around_pk("crm:lead"), "move": _around_pk("crm:lead-move")}
    query = format_row("?officer={}", officer_id) if officer_id else ""
    cards = [_card(lead, moves, stages, links, query) for lead in leads]
    return joined(cards) if cards else NO_CARDS


_PK = 7_314_159  # reversed in a lead's pk's place: the link around it is every lead's


def _around_pk(url_name: str) -> tuple[str, str]:
    """A lead's link as (before its pk, after it): reversed once a column, not twice a card."""
    before, after = reverse(url_name, args=[_PK]).split(str(_PK))
    return before, after


def _card(
    lead: Lead,
    moves: Mapping[str, Iterable[str]],
    stages: Mapping[str, str],
    links: dict[str, tuple[str, str]],
    query: str,
) -> SafeString:
    allowed = moves.get(lead.stage, "")
    options = joined(format_row('<option value="{}">{}</option>', stage, stages.get(stage, "")) for stage in allowed)
    move = f"{links['move'][0]}{lead.pk}{links['move'][1]}"
    return format_row(
        CARD,
        lead.pk,
        f"{links['lead'][0]}{lead.pk}{links['lead'][1]}",
        lead.contact,
        lead.source.name,
        format_row(" · {}", lead.officer) if lead.officer else "",
        format_row('<div class="small">{}</div>', lead.lost_reason) if lead.stage == Stage.LOST else "",
        format_row('<div class="small">{}</div>', lead.application.number) if lead.application else "",
        format_row(MOVE_FORM, move, query, options) if allowed else "",
    )
