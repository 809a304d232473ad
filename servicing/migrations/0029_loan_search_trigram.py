"""Trigram indexes for the servicing loan search (PostgreSQL only).

The loan list searches loan numbers and borrower names with `icontains`, which Django writes as
`UPPER(col) LIKE UPPER('%q%')`: without an index every search reads every loan (66 ms at 50,000 loans, issue 15).
GIN trigram indexes on `UPPER(col)` serve exactly that, as origination/migrations/0005 does for the pipeline; a
phone search joins the borrower's user row through a trigram index on its phone (an email search uses the unique
email index). pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite (the
development default) skips this.
"""

from django.db import migrations

INDEXES = (
    ("loan_number_trgm", "servicing_loanaccount", "loan_number"),
    ("loan_borrower_name_trgm", "servicing_loanaccount", "borrower_name"),
    ("user_phone_trgm", "core_user", "phone"),
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
    dependencies = [("servicing", "0028_borrowerdocument_kinds_merged"), ("core", "0002_roles")]
    operations = [migrations.RunPython(create, drop)]
