"""The pipeline report's lead funnel on constructed January 2027 leads: by source and by referral partner, the
officer filter and the period's edges; one query whatever the number of leads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm.models import Lead
from crm.selectors_funnel import lead_funnel
from lending.core import roles
from origination.models import Application, Funding
from tests.core.factories import user_with_role
from tests.crm.factories import LeadFactory, LeadSourceFactory, PartnerFactory
from tests.origination.factories import ApplicationFactory

pytestmark = pytest.mark.django_db
D = Decimal
MID_JANUARY = datetime(2027, 1, 15, 12, tzinfo=UTC)


def _application(status, funded=None):
    application = ApplicationFactory()
    Application.objects.filter(pk=application.pk).update(status=status)
    if funded:
        Funding.objects.create(
            application=application,
            loan_amount=D(funded),
            disbursed_amount=D(funded),
            funded_on=date(2027, 1, 29),
            funded_by=user_with_role(roles.CLOSER),
        )
    return application


@pytest.fixture
def leads():
    """Website: 4 leads (one funded $300,000, one in processing, two without an application). Referral (Agent Kim):
    2 leads (one funded $200,000, one denied). Ann has the two funded ones. A December lead does not count."""
    ann = user_with_role(roles.LOAN_OFFICER, first_name="Ann", last_name="Lee")
    referral = LeadSourceFactory(code="referral", name="Referral")
    kim = PartnerFactory(name="Agent Kim")
    LeadFactory(created_at=MID_JANUARY, officer=ann, application=_application("funded", "300000"))
    LeadFactory(created_at=MID_JANUARY, application=_application("processing"))
    LeadFactory(created_at=datetime(2027, 1, 1, 6, tzinfo=UTC))
    LeadFactory(created_at=datetime(2027, 1, 31, 12, tzinfo=UTC))
    LeadFactory(
        created_at=MID_JANUARY,
        source=referral,
        referral_partner=kim,
        officer=ann,
        application=_application("funded", "200000"),
    )
    LeadFactory(created_at=MID_JANUARY, source=referral, referral_partner=kim, application=_application("denied"))
    LeadFactory(created_at=datetime(2026, 12, 20, tzinfo=UTC), officer=ann)
    return ann


def _table(rows):
    return [(r.name, r.leads, r.applications, r.funded, r.funded_amount, r.to_application, r.to_funded) for r in rows]


def test_leads_to_funded_loans_by_source_and_partner(leads):
    funnel = lead_funnel(date(2027, 1, 1), date(2027, 1, 31))
    assert _table(funnel.sources) == [
        ("Website contact form", 4, 2, 1, D("300000.00"), D("50.0"), D("25.0")),
        ("Referral", 2, 2, 1, D("200000.00"), D("100.0"), D("50.0")),
    ]
    assert _table(funnel.partners) == [
        ("No referral partner", 4, 2, 1, D("300000.00"), D("50.0"), D("25.0")),
        ("Agent Kim", 2, 2, 1, D("200000.00"), D("100.0"), D("50.0")),
    ]
    assert _table([funnel.total]) == [("All leads", 6, 4, 2, D("500000.00"), D("66.7"), D("33.3"))]


def test_the_officer_filter_and_an_empty_period(leads):
    ann = leads
    funnel = lead_funnel(date(2027, 1, 1), date(2027, 1, 31), officer=ann.pk)
    assert [(r.name, r.leads, r.funded) for r in funnel.sources] == [("Referral", 1, 1), ("Website contact form", 1, 1)]
    empty = lead_funnel(date(2027, 3, 1), date(2027, 3, 31))
    assert (empty.sources, empty.partners, empty.total.leads, empty.total.to_funded) == ([], [], 0, None)


def test_four_queries_for_one_lead_or_many(django_assert_num_queries, leads):
    # The counts (kept days and partial days in one query), the leads with an application, sources, partners.
    with django_assert_num_queries(4):
        lead_funnel(date(2027, 1, 1), date(2027, 1, 31))
    Lead.objects.exclude(referral_partner=None).delete()
    with django_assert_num_queries(4):
        assert lead_funnel(date(2027, 1, 1), date(2027, 1, 31)).total.leads == 4


def _counts(rows):
    return [(r.name, r.leads, r.applications, r.funded, r.funded_amount) for r in rows]


def test_a_funding_counts_only_when_the_application_is_funded_and_to_the_cent():
    """Two funded ($100,000.10 and $200,000.20: cents a float would not add up exactly) and one whose funding
    stands but whose application is no longer funded (neither counted as funded nor in the amount)."""
    kim = PartnerFactory(name="Agent Kim")
    LeadFactory(
        created_at=datetime(2027, 5, 15, 12, tzinfo=UTC),
        referral_partner=kim,
        application=_application("funded", "100000.10"),
    )
    LeadFactory(created_at=datetime(2027, 5, 15, 12, tzinfo=UTC), application=_application("funded", "200000.20"))
    LeadFactory(
        created_at=datetime(2027, 5, 15, 12, tzinfo=UTC),
        referral_partner=kim,
        application=_application("closing", "50000.05"),
    )
    LeadFactory(created_at=datetime(2027, 5, 15, 12, tzinfo=UTC))
    funnel = lead_funnel(date(2027, 5, 1), date(2027, 5, 31))
    assert _counts(funnel.partners) == [
        ("Agent Kim", 2, 2, 1, D("100000.10")),
        ("No referral partner", 2, 1, 1, D("200000.20")),
    ]
    assert _counts([funnel.total]) == [("All leads", 4, 3, 2, D("300000.30"))]
