"""The demo's journeys finish on the day it is seeded, whatever the weekday: one application can close today
and one purchase can be funded today (issue 9, item 12)."""

from __future__ import annotations

from datetime import date, datetime, time
from io import StringIO

import pytest
from django.utils import timezone

from lending.core import calendar
from lending.core.models import User
from origination import demo, workflow
from origination.demo.story import cd_receipt_for
from origination.models import Application
from origination.services.closing import closing_signing_record, loan_fund
from origination.services.workflow import application_transition

pytestmark = pytest.mark.django_db

# Mon Nov 16 .. Sun Nov 22 2026, and Wed Nov 25, the day before Thanksgiving (and Thanksgiving itself).
DAYS = [date(2026, 11, 16 + n) for n in range(7)] + [date(2026, 11, 25), date(2026, 11, 26)]
TODAY_SCENARIOS = [s for s in demo.SCENARIOS if s.closes_today]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_two_demo_files_close_today_on_mortgages_one_a_purchase_to_fund():
    assert sorted((s.target, s.product, s.purpose) for s in TODAY_SCENARIOS) == [
        ("closed", demo.scenarios.M30, "purchase"),
        ("closing", demo.scenarios.M30, "purchase"),
    ]


@pytest.mark.parametrize("closing", DAYS, ids=lambda d: f"{d:%a-%m-%d}")
def test_the_closing_disclosure_is_received_on_a_business_day_3_specific_business_days_before(closing):
    received = cd_receipt_for(closing)
    assert calendar.is_business_day(received, calendar.GENERAL)
    assert calendar.add_business_days(received, 3, calendar.SPECIFIC) <= closing
    # ... and it is the last such day: the next general business day would be too late.
    later = calendar.add_business_days(received, 1, calendar.GENERAL)
    assert later >= closing or calendar.add_business_days(later, 3, calendar.SPECIFIC) > closing


@pytest.mark.parametrize("today", DAYS, ids=lambda d: f"{d:%a-%m-%d}")
def test_seeded_on_any_day_one_file_closes_and_one_purchase_funds_that_day(today, monkeypatch):
    monkeypatch.setattr(demo.seed, "SCENARIOS", TODAY_SCENARIOS)
    with demo._clock(timezone.make_aware(datetime.combine(today, time(9)))):
        demo.demo_seed(stdout=StringIO())
        assert timezone.localdate() == today
        closer = User.objects.get(email=demo.CLOSER)
        closable = Application.objects.get(status="closing")
        fundable = Application.objects.get(status="closed")

        # The closer records the signing and closes today.
        assert closable.closing_date == today
        le = closable.disclosures.get(kind="loan_estimate")
        cd = closable.disclosures.get(kind="closing_disclosure")
        assert calendar.business_days_between(le.issued_on, today, calendar.SPECIFIC) >= 10
        assert calendar.add_business_days(cd.received_on, 3, calendar.SPECIFIC) <= today
        closing_signing_record(actor=closer, application=closable, signed_on=today)
        close = {o.name: o for o in workflow.transition_options(closable, closer)}["close"]
        assert close.blocked_by == ()
        application_transition(application=closable, name="close", actor=closer)
        assert Application.objects.get(pk=closable.pk).status == "closed"

        # The purchase closed today is funded today.
        assert (fundable.purpose, fundable.closing_date) == ("purchase", today)
        assert workflow.earliest_funding_date(fundable) == today
        fund = {o.name: o for o in workflow.transition_options(fundable, closer)}["fund"]
        assert fund.blocked_by == ()
        loan_fund(actor=closer, application=fundable, funded_on=today, wire_reference="FED-TODAY")
        assert Application.objects.get(pk=fundable.pk).status == "funded"
