"""Installments still owing fees once paid (rare rows): with installment_unpaid_idx, the payment import reads what a
payment may pay through two index ranges instead of every paid installment of each loan filtered (issue 15)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0046_loan_list_filter_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="installment",
            index=models.Index(
                condition=models.Q(
                    ("late_fees__gt", models.F("paid_late_fees")), ("fees__gt", models.F("paid_fees")), _connector="OR"
                ),
                fields=["loan", "due_date"],
                name="installment_fees_owed_idx",
            ),
        ),
    ]
