"""The leads counted per (day, officer, source, partner, stage, applied, reached) (``LeadDayCount``), kept by
triggers on the leads (PostgreSQL), and filled from the leads there: the board's totals and the dashboard's counts
add up a few thousand rows, not 200,000 leads.

Statement-level AFTER triggers with transition tables: a statement of leads adds one row per key whose count it
changed, its old rows counted out and its new ones in; an update that moves no lead to another key (a note, a phone
number) adds none. SQLite (development) counts the leads directly: no triggers there. The triggers are created
before the backfill in this migration's transaction, which locks the leads: nothing is counted twice or missed.
"""

from django.db import migrations, models

KEYS = """(created_at AT TIME ZONE 'UTC')::date AS day, officer_id AS officer, source_id AS source,
               referral_partner_id AS partner, stage, application_id IS NOT NULL AS applied,
               first_contacted_at IS NOT NULL AS reached"""


def _rows(table: str, sign: str) -> str:
    return f"SELECT {KEYS}, {sign}1 AS leads FROM {table}"


def _insert(*selects: str) -> str:
    return f"""
    INSERT INTO crm_leaddaycount (day, officer, source, partner, stage, applied, reached, leads)
    SELECT day, officer, source, partner, stage, applied, reached, sum(leads)
      FROM ({" UNION ALL ".join(selects)}) change
     GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(leads) <> 0"""


POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION crm_lead_counts_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_insert(_rows("new_leads", ""))};
    ELSIF TG_OP = 'DELETE' THEN
        {_insert(_rows("old_leads", "-"))};
    ELSE
        {_insert(_rows("new_leads", ""), _rows("old_leads", "-"))};
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER crm_lead_counts_insert
    AFTER INSERT ON crm_lead REFERENCING NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_counts_add();
CREATE TRIGGER crm_lead_counts_update
    AFTER UPDATE ON crm_lead REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_counts_add();
CREATE TRIGGER crm_lead_counts_delete
    AFTER DELETE ON crm_lead REFERENCING OLD TABLE AS old_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_counts_add();

{_insert(_rows("crm_lead", ""))};
"""

POSTGRES_REMOVE = """
DROP TRIGGER IF EXISTS crm_lead_counts_insert ON crm_lead;
DROP TRIGGER IF EXISTS crm_lead_counts_update ON crm_lead;
DROP TRIGGER IF EXISTS crm_lead_counts_delete ON crm_lead;
DROP FUNCTION IF EXISTS crm_lead_counts_add();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REMOVE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0009_lead_partner_idx'),
    ]

    operations = [
        migrations.CreateModel(
            name='LeadDayCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('officer', models.BigIntegerField(null=True)),
                ('source', models.BigIntegerField()),
                ('partner', models.BigIntegerField(null=True)),
                ('stage', models.CharField(max_length=20)),
                ('applied', models.BooleanField()),
                ('reached', models.BooleanField()),
                ('leads', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['day'], name='crm_lead_day_count_idx')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
