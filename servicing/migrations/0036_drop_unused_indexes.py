"""Indexes no query reads, dropped: each costs every payment, accrual and reversal one more index insert, and
the bench seeder one more build over millions of rows.

- ``servicing_loantransaction (loan_id)``: ``loan_txn_loan_date_idx`` (loan, effective date, id) leads with the loan
  and serves every look-up by loan (as ``journal_entry_loan_idx`` does for the journal, which has no such index).
- The ``varchar_pattern_ops`` copies of the journal's and the payments' idempotency keys: PostgreSQL's schema editor
  adds one beside every unique ``CharField`` for ``LIKE 'prefix%'`` searches, and nothing searches a key by prefix
  (keys are looked up whole, through the unique index). Dropped with ``IF EXISTS`` under the name Django gave them,
  so a later ``AlterField`` of the key (which drops it ``IF EXISTS`` too) finds nothing to trip on.
"""

from django.db import migrations, models
import django.db.models.deletion

LIKE_INDEXED_KEYS = (("servicing_journalentry", "idempotency_key"), ("servicing_loantransaction", "idempotency_key"))


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # only PostgreSQL's schema editor makes them
    for table, column in LIKE_INDEXED_KEYS:
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in LIKE_INDEXED_KEYS:
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)}"
            f" ({schema_editor.quote_name(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("servicing", "0035_reports_gl_metro2_merged")]

    operations = [
        migrations.AlterField(
            model_name="loantransaction",
            name="loan",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="servicing.loanaccount",
            ),
        ),
        migrations.RunPython(drop_like_indexes, restore_like_indexes),
    ]
