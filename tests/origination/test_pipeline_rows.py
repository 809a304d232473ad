"""The pipeline's rows, drawn in Python (``{% pipeline_rows %}``): byte for byte the HTML of the template loop they
replace (kept here as the reference), with and without a borrower, an amount and an officer, typed text escaped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.template import Context, Template

from origination.selectors import PipelineRow

OLD = """{% for app in rows %}
    <tr>
      <td><a href="{{ detail_url }}{{ app.pk }}/">{{ app.number }}</a></td>
      <td>{% if app.borrower is None %}<span class="text-muted">—</span>{% else %}{{ app.borrower }}{% endif %}</td>
      <td>{{ app.product }}</td>
      <td class="money">{% if app.amount_requested %}{{ app.amount_requested|money }}{% endif %}</td>
      <td><span class="badge rounded-pill text-bg-{{ app.status_badge }}" data-testid="status">{{ app.status_label }}</span></td>
      <td class="text-end">{{ app.days_in_state }}</td>
      <td>{{ app.loan_officer }}</td>
      <td>{{ app.created_on|date:"Y-m-d" }}</td>
    </tr>
  {% empty %}
    <tr><td colspan="8" class="text-muted">No applications match.</td></tr>
  {% endfor %}"""  # noqa: E501
NEW = """{% load pipeline_rows %}{% pipeline_rows rows detail_url %}{% if not rows %}
    <tr><td colspan="8" class="text-muted">No applications match.</td></tr>
  {% endif %}"""


def _row(pk: int, **fields) -> PipelineRow:
    values: dict[str, Any] = {
        "number": f"APP-{pk:06d}",
        "borrower": "Ann <b>& Co",
        "product": "30-year <fixed>",
        "amount_requested": Decimal("325000.005"),
        "status": "underwriting",
        "status_label": "Underwriting",
        "status_badge": "primary",
        "days_in_state": 12,
        "loan_officer": "Olive O'Fficer",
        "created_on": date(2026, 11, 30),
    }
    return PipelineRow(pk=pk, **(values | fields))


def test_the_rows_drawn_in_python_are_the_template_loops_html():
    rows = [
        _row(1),
        _row(2, borrower=None, amount_requested=None, loan_officer="", status_badge="secondary"),
        _row(3, borrower="", amount_requested=Decimal("0"), days_in_state=0),
    ]
    for values in ({"rows": rows, "detail_url": "/staff/origination/applications/"}, {"rows": [], "detail_url": "/"}):
        assert Template(NEW).render(Context(values)) == Template(OLD).render(Context(values))


def test_what_people_typed_is_escaped():
    html = Template(NEW).render(Context({"rows": [_row(1)], "detail_url": "/a/"}))
    assert "<td>Ann &lt;b&gt;&amp; Co</td>" in html
    assert "<td>Olive O&#x27;Fficer</td>" in html
    assert '<td class="money">$325,000.01</td>' in html
