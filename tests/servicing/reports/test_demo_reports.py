"""`make run`'s demo data fills the delinquency and pipeline reports, each with a chart: the tape of the six months
closed before the demo nights (the late loans rolling a bucket a month), and the demo applications and leads."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanMonthEnd, LoanMonthEndCount
from tests.core.factories import user_with_role
from tests.report_helpers import chart, page_rows

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: funding boards each loan as `make run` does


def test_the_demo_fills_both_reports_with_a_chart(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Month-end tape demo: " in out.getvalue()
    months = sorted(set(LoanMonthEnd.objects.values_list("month", flat=True)))
    assert len(months) >= 6
    assert LoanMonthEndCount.objects.filter(bucket="120+").exists()
    client.force_login(user_with_role(roles.MANAGER))

    delinquency = client.get(reverse("reports:delinquency"))
    assert page_rows(delinquency)
    balances = chart(delinquency, "balances")
    assert any(value for dataset in balances["datasets"][1:] for value in dataset["data"])  # past-due principal
    matrix = delinquency.context["matrix"]
    assert sum(row.loans for row, _cells in matrix[1:]) >= 4  # the late loans were late the month before too

    pipeline = client.get(reverse("reports:pipeline"))
    assert page_rows(pipeline)
    states = chart(pipeline, "states")
    taken = pipeline.context["pipeline"].applications
    assert taken > 0
    assert sum(states["datasets"][0]["data"]) == taken
    assert pipeline.context["funnel"].total.leads > 0
