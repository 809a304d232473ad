"""Trigram indexes for the pipeline search (PostgreSQL only).

The pipeline searches application numbers and borrower names and emails with `icontains`, which Django writes
as `UPPER(col) LIKE UPPER('%q%')`; GIN trigram indexes on `UPPER(col)` serve exactly that. pg_trgm is a trusted
extension (PostgreSQL 13+): the database owner may create it. SQLite (the development default) skips this.
"""

from django.db import migrations

INDEXES = (
    ("application_number_trgm", "origination_application", "number"),
    ("borrower_last_name_trgm", "origination_borrower", "last_name"),
    ("borrower_first_name_trgm", "origination_borrower", "first_name"),
    ("borrower_email_trgm", "origination_borrower", "email"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("origination", "0004_pipeline_newest_index")]
    operations = [migrations.RunPython(create, drop)]
