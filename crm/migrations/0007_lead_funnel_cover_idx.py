# The pipeline report's lead funnel reads a period's leads from one covering index (issue 15, "Reports"): the
# created_at range with the source, partner and application ids it groups and joins on, no heap visit once vacuumed.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_lead_board_indexes_with_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["created_at"],
                include=("source", "referral_partner", "application"),
                name="crm_lead_funnel_cover_idx",
            ),
        ),
    ]
