# A send carries its step's campaign (issue 15, "Pages"): the campaign page lists its sends newest first and counts
# them per step from one index each, instead of joining and sorting every send of every campaign.

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE crm_campaignsend AS send SET campaign_id = step.campaign_id
FROM crm_campaignstep AS step WHERE step.id = send.step_id
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL)
        return
    CampaignSend = apps.get_model("crm", "CampaignSend")
    CampaignStep = apps.get_model("crm", "CampaignStep")
    for step_id, campaign_id in CampaignStep.objects.values_list("id", "campaign_id"):
        CampaignSend.objects.filter(step_id=step_id).update(campaign_id=campaign_id)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_lead_funnel_cover_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaignsend",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sends",
                to="crm.campaign",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="campaignsend",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sends",
                to="crm.campaign",
            ),
        ),
        migrations.RemoveIndex(model_name="campaignsend", name="crm_send_step_status_idx"),
        migrations.AddIndex(
            model_name="campaignsend",
            index=models.Index(fields=["campaign", "step", "status"], name="crm_send_campaign_step_idx"),
        ),
        migrations.AddIndex(
            model_name="campaignsend",
            index=models.Index(fields=["campaign", "-queued_at", "-id"], name="crm_send_campaign_recent_idx"),
        ),
        migrations.AddIndex(
            model_name="campaignsend",
            index=models.Index(fields=["-queued_at", "-id"], name="crm_send_recent_idx"),
        ),
        migrations.AddIndex(
            model_name="campaignsend",
            index=models.Index(
                condition=models.Q(("status", "queued")), fields=["queued_at"], name="crm_send_queued_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(
                fields=["campaign", "stop_reason"], include=("stopped_at",), name="crm_enr_counts_idx"
            ),
        ),
    ]
