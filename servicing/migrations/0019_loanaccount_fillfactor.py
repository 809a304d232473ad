"""Room on each page of the loans table for the nightly run's updates (PostgreSQL only).

The close of business updates every active loan several times a night (interest, next bill date, delinquency).
None of those columns is indexed, so PostgreSQL can write each new row version on the same page without touching
the table's eleven indexes (a HOT update), but only if the page has free space: at the default fillfactor of 100
a loaded table has none and every update rewrites every index (measured on the 100,000-loan bench: 338 of 206,040
updates were HOT). New and rewritten pages keep 30 % free; existing pages gain it as they are rewritten (or at
once with VACUUM FULL servicing_loanaccount).
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value: int | None) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    if value is None:
        schema_editor.execute("ALTER TABLE servicing_loanaccount RESET (fillfactor)")
    else:
        schema_editor.execute(f"ALTER TABLE servicing_loanaccount SET (fillfactor = {int(value)})")


class Migration(migrations.Migration):
    dependencies = [("servicing", "0018_borrower_documents")]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: set_fillfactor(apps, schema_editor, 70),
            lambda apps, schema_editor: set_fillfactor(apps, schema_editor, None),
        )
    ]
