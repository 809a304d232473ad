"""The CRM demo: leads in every stage and partners with referrals, on top of the origination demo. Idempotent."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from crm.models import Activity, Lead, ReferralPartner, Stage
from crm.selectors import partners_with_stats

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_demo_has_leads_in_every_stage_and_partners_with_referrals():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    stages = set(Lead.objects.values_list("stage", flat=True))
    assert stages == set(Stage.values)
    assert Lead.objects.filter(officer__email="officer@lending.test").count() == Lead.objects.count()
    # Funded borrowers are past-client partners too (crm.services.past_clients); those with no referral are left out.
    referred = {p.name: p.stats["referred"] for p in partners_with_stats() if p.stats["referred"]}
    assert referred == {"Bill Builder": 2, "Pat Pastclient": 1, "Rita Realtor": 3}
    won = Lead.objects.get(stage=Stage.WON)
    assert won.application.status == "funded"
    assert Activity.objects.filter(lead=won, kind="status_update", subject__startswith="Loan funded").exists()
    assert (
        ReferralPartner.objects.get(kind="past_client", name="Pat Pastclient").contact.email
        == "pat.pastclient@example.com"
    )
    assert mail.outbox == []  # demo people are never emailed
    assert "CRM demo: leads by stage: New 2, Contacted 1, Qualified 1, Application 1, Won 1, Lost 2" in out.getvalue()

    again = StringIO()
    before = Lead.objects.count()
    call_command("seed_demo", stdout=again)
    assert Lead.objects.count() == before
    assert "CRM demo data already there (nothing added)." in again.getvalue()
