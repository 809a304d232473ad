"""The lead funnel's hand-written SQL on its edges: a funding counts only for an application that is funded now,
and the amounts add up to the exact cent on either database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm.selectors_funnel import lead_funnel
from lending.core import roles
from origination.models import Application, Funding
from tests.core.factories import user_with_role
from tests.crm.factories import LeadFactory, PartnerFactory
from tests.origination.factories import ApplicationFactory

pytestmark = pytest.mark.django_db
D = Decimal
MID_MAY = datetime(2027, 5, 15, 12, tzinfo=UTC)


def _application(status, funded=None):
    application = ApplicationFactory()
    Application.objects.filter(pk=application.pk).update(status=status)
    if funded:
        Funding.objects.create(
            application=application,
            loan_amount=D(funded),
            disbursed_amount=D(funded),
            funded_on=date(2027, 5, 20),
            funded_by=user_with_role(roles.CLOSER),
        )
    return application


def _table(rows):
    return [(r.name, r.leads, r.applications, r.funded, r.funded_amount) for r in rows]


def test_a_funding_counts_only_when_the_application_is_funded_and_to_the_cent():
    """Two funded ($100,000.10 and $200,000.20: cents a float would not add up exactly) and one whose funding
    stands but whose application is no longer funded (neither counted as funded nor in the amount)."""
    kim = PartnerFactory(name="Agent Kim")
    LeadFactory(created_at=MID_MAY, referral_partner=kim, application=_application("funded", "100000.10"))
    LeadFactory(created_at=MID_MAY, application=_application("funded", "200000.20"))
    LeadFactory(created_at=MID_MAY, referral_partner=kim, application=_application("closing", "50000.05"))
    LeadFactory(created_at=MID_MAY)
    funnel = lead_funnel(date(2027, 5, 1), date(2027, 5, 31))
    assert _table(funnel.partners) == [
        ("Agent Kim", 2, 2, 1, D("100000.10")),
        ("No referral partner", 2, 1, 1, D("200000.20")),
    ]
    assert _table([funnel.total]) == [("All leads", 4, 3, 2, D("300000.30"))]
