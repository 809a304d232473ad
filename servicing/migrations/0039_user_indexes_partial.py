"""The indexes of a posting's optional references hold only the rows that have one (issue 15, posting): the user
who posted an entry or a payment (none for the system's: nightly accruals, imports, autopay) and the replay that
superseded an allocation line (none while the line stands). A payment wrote an index row for each empty column,
five of them, that nothing looks up; the rows that have one (and PostgreSQL's check of a user's or a replay's
deletion, ``created_by_id = ...``) still go through the index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The foreign keys' own indexes, dropped by name (``DROP INDEX``) rather than by ``AlterField``: SQLite would
# rebuild the journal entries' table for it, which the journal lines' trigger refers to.
FK_INDEXES = (
    ("servicing_allocationline", "superseded_by_id"),
    ("servicing_journalentry", "created_by_id"),
    ("servicing_loantransaction", "posted_by_id"),
)


def drop_fk_indexes(apps, schema_editor):
    for table, column in FK_INDEXES:
        name = schema_editor._create_index_name(table, [column], suffix="")
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore_fk_indexes(apps, schema_editor):
    for table, column in FK_INDEXES:
        name = schema_editor._create_index_name(table, [column], suffix="")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)}"
            f" ({schema_editor.quote_name(column)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0038_loan_paid_off_on_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="allocationline",
                    name="superseded_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The replay that re-allocated this payment; blank while the line stands.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="superseded_lines",
                        to="servicing.replay",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalentry",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="loantransaction",
                    name="posted_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_fk_indexes, restore_fk_indexes)],
        ),
        migrations.AddIndex(
            model_name="allocationline",
            index=models.Index(
                condition=models.Q(("superseded_by__isnull", False)),
                fields=["superseded_by"],
                name="alloc_line_superseded_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="journalentry",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)),
                fields=["created_by"],
                name="journal_entry_created_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="loantransaction",
            index=models.Index(
                condition=models.Q(("posted_by__isnull", False)), fields=["posted_by"], name="loan_txn_posted_by_idx"
            ),
        ),
    ]
