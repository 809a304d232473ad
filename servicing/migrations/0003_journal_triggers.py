"""The journal's guarantees in the database itself (PostgreSQL only; SQLite, the development default, skips this).

(a) Balanced: a DEFERRABLE INITIALLY DEFERRED constraint trigger on entries and on lines checks, at commit, that
    each entry written in the transaction has at least one line and that its debits equal its credits. Deferred,
    so an entry and its lines can be inserted one statement at a time; whatever is unbalanced at COMMIT fails it.
(b) Append-only: UPDATE and DELETE of entries and lines are refused (corrections are reversing entries).
    TRUNCATE is left alone: it is what the test runner's flush uses, and no application code issues it.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION servicing_journal_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target bigint;
    line_count integer;
    debits numeric;
    credits numeric;
BEGIN
    IF TG_TABLE_NAME = 'servicing_journalentry' THEN
        target := NEW.id;
    ELSE
        target := NEW.entry_id;
    END IF;
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, debits, credits
      FROM servicing_journalline WHERE entry_id = target;
    IF line_count = 0 THEN
        RAISE EXCEPTION 'journal entry % has no lines', target USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits % <> credits %', target, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER servicing_journalentry_balanced
    AFTER INSERT ON servicing_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION servicing_journal_entry_balanced();
CREATE CONSTRAINT TRIGGER servicing_journalline_balanced
    AFTER INSERT ON servicing_journalline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION servicing_journal_entry_balanced();

CREATE OR REPLACE FUNCTION servicing_journal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused; post a reversing entry instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER servicing_journalentry_append_only
    BEFORE UPDATE OR DELETE ON servicing_journalentry
    FOR EACH ROW EXECUTE FUNCTION servicing_journal_append_only();
CREATE TRIGGER servicing_journalline_append_only
    BEFORE UPDATE OR DELETE ON servicing_journalline
    FOR EACH ROW EXECUTE FUNCTION servicing_journal_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS servicing_journalline_append_only ON servicing_journalline;
DROP TRIGGER IF EXISTS servicing_journalentry_append_only ON servicing_journalentry;
DROP FUNCTION IF EXISTS servicing_journal_append_only();
DROP TRIGGER IF EXISTS servicing_journalline_balanced ON servicing_journalline;
DROP TRIGGER IF EXISTS servicing_journalentry_balanced ON servicing_journalentry;
DROP FUNCTION IF EXISTS servicing_journal_entry_balanced();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)  # no params: the % in RAISE formats stay literal


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0002_chart_of_accounts")]
    operations = [migrations.RunPython(install, remove)]
