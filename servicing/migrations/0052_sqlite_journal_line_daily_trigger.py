"""Put back the journal lines' daily-totals trigger on SQLite, and recount the totals it missed.

SQLite cannot alter a column in place: migration 0048 (the line's account without an index) had Django rebuild
``servicing_journalline`` as a new table, and a table's triggers do not survive that, so on SQLite (``make run``)
no line posted since was counted in ``LedgerDailyBalance``: the trial balance read zero. PostgreSQL altered the
table in place and kept its trigger: nothing to do there. The trigger is the one of migration 0033; the totals are
recounted from every line, as ``manage.py ledger_daily_rebuild`` does.
"""

from django.db import migrations

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS servicing_journalline_daily AFTER INSERT ON servicing_journalline
BEGIN
    INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
    SELECT NEW.account_id, e.effective_date, NEW.debit, NEW.credit, 1
      FROM servicing_journalentry e WHERE e.id = NEW.entry_id;
END
"""

RECOUNT = """
INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
SELECT l.account_id, e.effective_date, sum(l.debit), sum(l.credit), count(*)
  FROM servicing_journalline l JOIN servicing_journalentry e ON e.id = l.entry_id
 GROUP BY l.account_id, e.effective_date
"""


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(SQLITE_TRIGGER, params=None)
    schema_editor.execute("DELETE FROM servicing_ledgerdailybalance", params=None)
    schema_editor.execute(RECOUNT, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0051_loan_date_indexes"),
    ]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
