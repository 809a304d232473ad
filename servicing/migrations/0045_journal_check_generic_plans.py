"""The journal's balance check at COMMIT (migration 0042) runs its query as a generic plan (PostgreSQL only).

``servicing_journal_check_run`` fires at COMMIT, when a posting has set the plan mode back to the server's
(``servicing.services.posting_write``). Under the default mode PostgreSQL judged the check's generic plan (an
unknown number of entries) dearer than a plan for the array at hand, and planned the query again at every COMMIT,
to the same plan: 323 us of planning against 41 us of running it, per payment (pg_stat_statements with
track_planning, 400 ``payment_post`` calls, 10,000-loan portfolio). The function now runs with
``plan_cache_mode = force_generic_plan`` (its own setting, set back when it returns): one plan a connection. The
check itself, its query and its messages are unchanged.
"""

from django.db import migrations

INSTALL = "ALTER FUNCTION servicing_journal_check_run() SET plan_cache_mode = force_generic_plan"
REMOVE = "ALTER FUNCTION servicing_journal_check_run() RESET plan_cache_mode"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0044_loan_property_address")]
    operations = [migrations.RunPython(install, remove)]
