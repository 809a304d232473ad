"""The loan owns its property's address (copied at boarding); loans boarded before get their application's."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

FIELDS = {
    "property_address_line1": "address_line1",
    "property_city": "city",
    "property_state": "state",
    "property_postal_code": "postal_code",
}


def copy_from_applications(apps, schema_editor):
    """One UPDATE: every originated loan takes its subject property's address (transferred loans have none)."""
    loans = apps.get_model("servicing", "LoanAccount")
    properties = apps.get_model("origination", "Property").objects.filter(application_id=OuterRef("application_id"))
    loans.objects.filter(application__subject_property__isnull=False).update(
        **{field: Subquery(properties.values(column)[:1]) for field, column in FIELDS.items()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0043_roll_rate_snapshot_latest"),
    ]

    operations = [
        migrations.AddField(
            model_name="loanaccount",
            name="property_address_line1",
            field=models.CharField(blank=True, db_default="", default="", max_length=200),
        ),
        migrations.AddField(
            model_name="loanaccount",
            name="property_city",
            field=models.CharField(blank=True, db_default="", default="", max_length=100),
        ),
        migrations.AddField(
            model_name="loanaccount",
            name="property_postal_code",
            field=models.CharField(blank=True, db_default="", default="", max_length=10),
        ),
        migrations.AddField(
            model_name="loanaccount",
            name="property_state",
            field=models.CharField(blank=True, db_default="", default="", max_length=2),
        ),
        migrations.RunPython(copy_from_applications, migrations.RunPython.noop, elidable=True),
    ]
