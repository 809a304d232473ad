"""The audit trail's index of the actor holds only the rows a user wrote (issue 15, posting): every posting,
accrual and job of the system writes audit rows with no actor, each paying an index insert for an empty column
nothing looks up. A user's rows, and PostgreSQL's check of a user's deletion (``actor_id = ...``), still go
through it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_actor_index(apps, schema_editor):  # by name: SQLite would rebuild the table for an AlterField
    name = schema_editor._create_index_name("core_auditevent", ["actor_id"], suffix="")
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore_actor_index(apps, schema_editor):
    name = schema_editor._create_index_name("core_auditevent", ["actor_id"], suffix="")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON "core_auditevent" ("actor_id")'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_drop_unused_audit_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_actor_index, restore_actor_index)],
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="core_audit_actor_idx"
            ),
        ),
    ]
