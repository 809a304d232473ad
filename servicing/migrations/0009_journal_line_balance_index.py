"""A covering index for the loan page's journal balances (PostgreSQL only; SQLite, the development default, skips it).

``selectors.loan_balances_from_journal([loan])`` sums one loan's lines per account. With years of history those
lines sit on hundreds of heap pages (one payment a month); with (loan, account) INCLUDE (debit, credit) the sum is
an index-only scan that never touches the heap. It is raw SQL because the model's ``Meta.indexes`` (in
models/ledger.py) is not this module's to change: once it declares ``Index(fields=["loan", "account"],
include=["debit", "credit"])``, this migration can become that, and journal_line_loan_account_idx can go.
"""

from django.db import migrations

INDEX = "journal_line_balance_cover_idx"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON servicing_journalline (loan_id, account_id) INCLUDE (debit, credit)"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("servicing", "0008_imports")]
    operations = [migrations.RunPython(install, remove, elidable=False)]
