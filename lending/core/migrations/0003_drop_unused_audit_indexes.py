"""Indexes of the audit trail no query reads, dropped: every posting, state change and nightly move writes audit
rows, each paying one insert per index (issue 15, posting).

- ``core_auditevent (target_type_id)``: ``core_audit_target_idx`` (target type, target id, time) leads with it.
- The ``varchar_pattern_ops`` copies of ``verb`` and ``request_id`` that PostgreSQL's schema editor adds beside an
  indexed ``CharField`` for ``LIKE 'prefix%'``: the audit screen filters a verb by equality (the plain index) and
  searches with ``icontains``, which no B-tree serves; nothing searches either by prefix. Dropped ``IF EXISTS`` under
  the names Django gave them.
"""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEXED = (("core_auditevent", "verb"), ("core_auditevent", "request_id"))


def _like_index_names(schema_editor):
    return [schema_editor._create_index_name(table, [column], suffix="_like") for table, column in LIKE_INDEXED]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # only PostgreSQL's schema editor makes them
    for name in _like_index_names(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for (table, column), name in zip(LIKE_INDEXED, _like_index_names(schema_editor), strict=True):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)}"
            f" ({schema_editor.quote_name(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("contenttypes", "0002_remove_content_type_name"), ("core", "0002_roles")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="target_type",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="contenttypes.contenttype",
            ),
        ),
        migrations.RunPython(drop_like_indexes, restore_like_indexes),
    ]
