"""The payment import's lines lose the index of their batch alone: ``import_line_unique_number`` (batch, line number)
and ``import_line_batch_status_idx`` (batch, status) both lead with the batch and serve every look-up by batch (the
batch page, the commit's valid lines, the counts, a batch's deletion), so each imported line wrote one index entry
for nothing."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("servicing", "0039_user_indexes_partial")]

    operations = [
        migrations.AlterField(
            model_name="importline",
            name="batch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="servicing.importbatch",
            ),
        ),
    ]
