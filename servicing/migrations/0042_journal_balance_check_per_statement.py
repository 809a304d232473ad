"""The journal's balance check (migration 0003) once per transaction and set-based, not once per row (PostgreSQL
only; SQLite, the development default, has none).

The guarantee is unchanged: at COMMIT, every entry written in the transaction, and every entry a line was added to,
has at least one line and its debits equal its credits; otherwise COMMIT fails with the same messages and error
code. What changes is the cost. 0003's constraint trigger ran once per entry and once per line, each summing the
entry's lines: the night's accrual (an entry and three lines a loan) ran four checks a loan at commit. Now a
statement-level trigger on each table (same names as before, so ``ALTER TABLE ... DISABLE TRIGGER`` still turns
the check off) queues the ids of the statement's entries in one row of ``servicing_journal_check``; a deferred
constraint trigger on that table fires at commit and checks, in one query, every entry the transaction queued
(its rows are taken by ``pg_current_xact_id()``, the top-level transaction's id, savepoints included), then
deletes them: the transaction's later queue rows find nothing left and return at once. A savepoint rolled back
takes its queue rows and their events with it, as it took 0003's. The table only ever holds uncommitted rows.
"""

from importlib import import_module

from django.db import migrations

INSTALL = """
DROP TRIGGER IF EXISTS servicing_journalline_balanced ON servicing_journalline;
DROP TRIGGER IF EXISTS servicing_journalentry_balanced ON servicing_journalentry;
DROP FUNCTION IF EXISTS servicing_journal_entry_balanced();

CREATE TABLE servicing_journal_check (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xact xid8 NOT NULL DEFAULT pg_current_xact_id(),
    entry_ids bigint[] NOT NULL
);
CREATE INDEX servicing_journal_check_xact ON servicing_journal_check (xact);

CREATE FUNCTION servicing_journal_check_queue() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'servicing_journalentry' THEN
        INSERT INTO servicing_journal_check (entry_ids) SELECT array_agg(id) FROM new_rows HAVING count(*) > 0;
    ELSE
        INSERT INTO servicing_journal_check (entry_ids)
        SELECT array_agg(DISTINCT entry_id) FROM new_rows HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER servicing_journalentry_balanced
    AFTER INSERT ON servicing_journalentry REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_check_queue();
CREATE TRIGGER servicing_journalline_balanced
    AFTER INSERT ON servicing_journalline REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_check_queue();

CREATE FUNCTION servicing_journal_check_run() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    bad record;
BEGIN
    WITH taken AS (
        DELETE FROM servicing_journal_check WHERE xact = pg_current_xact_id() RETURNING entry_ids
    )
    SELECT array_agg(DISTINCT entry_id) INTO ids FROM taken, unnest(taken.entry_ids) AS entry_id;
    IF ids IS NULL THEN
        RETURN NULL;  -- an earlier queue row's check of this transaction took every entry
    END IF;
    -- One index scan of the lines per entry (LATERAL: never a join over the whole lines table).
    SELECT e.id, s.line_count, s.debits, s.credits
      INTO bad
      FROM unnest(ids) AS e(id)
     CROSS JOIN LATERAL (
            SELECT count(*) AS line_count, coalesce(sum(debit), 0) AS debits, coalesce(sum(credit), 0) AS credits
              FROM servicing_journalline WHERE entry_id = e.id
           ) s
     WHERE s.line_count = 0 OR s.debits <> s.credits
     ORDER BY e.id
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad.line_count = 0 THEN
        RAISE EXCEPTION 'journal entry % has no lines', bad.id USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'journal entry % does not balance: debits % <> credits %', bad.id, bad.debits, bad.credits
        USING ERRCODE = 'check_violation';
END $$;

CREATE CONSTRAINT TRIGGER servicing_journal_check_balanced
    AFTER INSERT ON servicing_journal_check DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION servicing_journal_check_run();
"""

# Back to migration 0003's row-level checks: its balance function and constraint triggers, as it created them.
REMOVE = """
DROP TRIGGER IF EXISTS servicing_journalline_balanced ON servicing_journalline;
DROP TRIGGER IF EXISTS servicing_journalentry_balanced ON servicing_journalentry;
DROP TABLE IF EXISTS servicing_journal_check;
DROP FUNCTION IF EXISTS servicing_journal_check_run();
DROP FUNCTION IF EXISTS servicing_journal_check_queue();
""" + import_module("servicing.migrations.0003_journal_triggers").INSTALL.partition(
    "CREATE OR REPLACE FUNCTION servicing_journal_append_only"
)[0]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)  # no params: the % in RAISE formats stay literal


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0041_ach_files")]
    operations = [migrations.RunPython(install, remove)]
