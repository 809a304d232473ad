"""CRM campaigns and dashboard at scale.

Targets (issue 13 "Performance"):
- a campaign step sent to 50,000 contacts, chunked across Celery tasks, finishes in under 2 minutes with the locmem
  email backend (here the chunk tasks run one after another in this process, eagerly: real workers run them in
  parallel, so this is the slow case);
- the dashboard with 200,000 leads: a constant query count and a median under 100 ms.
Needs PostgreSQL (`make bench` starts one); on SQLite it still runs but says so. BENCH_CRM_LEADS and
BENCH_CRM_CAMPAIGN set smaller counts for a try.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.db.models import F
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from bench import bench_crm_leads  # seeds the 200,000 leads (and sets Django up)
from bench._django import is_postgres
from bench._report import report
from bench._servicing_seed import vacuum_analyze
from crm.models import Campaign, CampaignSend, CampaignStep, Contact, Enrollment, Lead, Stage
from crm.services import campaign_sending
from lending.celery import app as celery_app
from lending.core.models import User

CAMPAIGN_CONTACTS = int(os.environ.get("BENCH_CRM_CAMPAIGN", "50000"))
CAMPAIGN = "Bench campaign"


def _first_contacts() -> None:
    """Bench leads past ``new`` were contacted: 2, 5 or 26 hours after they arrived (set-based updates)."""
    bench = Lead.objects.filter(source__code="bench", first_contacted_at__isnull=True)
    for stage, hours in ((Stage.CONTACTED, 2), (Stage.QUALIFIED, 5), (Stage.LOST, 26)):
        bench.filter(stage=stage).update(first_contacted_at=F("created_at") + timedelta(hours=hours))


def _campaign() -> Campaign:
    """A fresh one-step campaign with the first CAMPAIGN_CONTACTS bench contacts enrolled a day ago."""
    CampaignSend.objects.filter(step__campaign__name=CAMPAIGN).delete()  # a step sent is protected
    Campaign.objects.filter(name=CAMPAIGN).delete()
    campaign = Campaign.objects.create(name=CAMPAIGN, is_active=True)
    CampaignStep.objects.create(
        campaign=campaign,
        position=1,
        delay_days=0,
        subject="Hi {{ first_name }}",
        body="Dear {{ full_name }},\nRates moved.",
    )
    ids = list(
        Contact.objects.filter(email_normalized__startswith="bench-lead")
        .order_by("pk")
        .values_list("pk", flat=True)[:CAMPAIGN_CONTACTS]
    )
    then = timezone.now() - timedelta(days=1)
    Enrollment.objects.bulk_create(
        (Enrollment(campaign=campaign, contact_id=pk, via="manual", enrolled_at=then) for pk in ids), batch_size=5000
    )
    return campaign


def bench_campaign() -> None:
    from django.core import mail

    from crm import tasks_nurture

    campaign = _campaign()
    enrolled = campaign.enrollments.count()
    celery_app.conf.task_always_eager = True  # the chunk tasks run here, one after another
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        start = time.perf_counter()
        claimed = tasks_nurture.campaigns_dispatch.delay().get()
        seconds = time.perf_counter() - start
        sent = len(mail.outbox)
        mail.outbox = []
    chunks = -(-claimed // campaign_sending.CHUNK_SIZE)
    report(
        f"campaign step to {enrolled:,} contacts ({chunks} chunk tasks)",
        seconds,
        "s",
        120,
        higher_is_better=False,
        note=f"{sent:,} emails sent",
    )
    assert sent == enrolled, (sent, enrolled)


def main() -> None:
    bench_crm_leads.seed()
    _first_contacts()
    if is_postgres():
        # The update rewrote most leads (new row versions, the visibility map cleared): vacuumed as autovacuum would
        # have done long before a report reads them on a live database (the pipeline report's funnel, later).
        vacuum_analyze((Lead._meta.db_table,))
    if not is_postgres():
        print("NOTE: running on SQLite; the targets are for PostgreSQL (`make bench` starts one)")
    print(f"leads in the database: {Lead.objects.count():,}")
    manager, officer = Client(), Client()
    manager.force_login(User.objects.get(email="bench-crm-manager@lending.test"))
    officer.force_login(User.objects.get(email="bench-crm-officer3@lending.test"))
    bench_crm_leads.measure(manager, "dashboard, manager (90 days)", "/staff/crm/dashboard/")
    bench_crm_leads.measure(manager, "dashboard, manager (all time)", "/staff/crm/dashboard/?period=all")
    bench_crm_leads.measure(officer, "dashboard, one officer (all time)", "/staff/crm/dashboard/?period=all")
    if CAMPAIGN_CONTACTS:
        bench_campaign()


if __name__ == "__main__":
    main()
