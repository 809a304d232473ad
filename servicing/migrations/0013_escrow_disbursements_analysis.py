"""Escrow disbursements, the annual escrow analysis and its refunds; the loan's next analysis date (backfilled
for loans that escrow: a year after the first payment less the notice period, see servicing.services.escrow)."""

from datetime import timedelta
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

from lending.finance.daycount import add_months

NOTICE_DAYS = 30  # servicing.services.escrow.ANALYSIS_NOTICE_DAYS when this migration was written


def backfill_analysis_dates(apps, schema_editor):
    LoanAccount = apps.get_model("servicing", "LoanAccount")
    loans = list(
        LoanAccount.objects.filter(escrow_items__isnull=False, escrow_analysis_date__isnull=True)
        .distinct()
        .only("pk", "first_payment_date")
    )
    for loan in loans:
        loan.escrow_analysis_date = add_months(loan.first_payment_date, 12) - timedelta(days=NOTICE_DAYS)
    LoanAccount.objects.bulk_update(loans, ["escrow_analysis_date"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0012_ach_nightly"),
    ]

    operations = [
        migrations.CreateModel(
            name="EscrowAnalysis",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("analysis_date", models.DateField(help_text="The scheduled analysis date (the notice date).")),
                ("run_on", models.DateField(help_text="The business date the nightly close ran it.")),
                ("year_start", models.DateField(help_text="Due date of the computation year's first installment.")),
                ("balance_on_analysis_date", models.DecimalField(decimal_places=2, max_digits=14)),
                (
                    "current_balance",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="Projected balance when the computation year starts.",
                        max_digits=14,
                    ),
                ),
                (
                    "projected_disbursements",
                    models.DecimalField(
                        decimal_places=2, help_text="The computation year's disbursements.", max_digits=14
                    ),
                ),
                (
                    "disbursement_detail",
                    models.JSONField(default=list, help_text="[due date, amount, description] per payment."),
                ),
                ("cushion", models.DecimalField(decimal_places=2, max_digits=14)),
                ("target_balance", models.DecimalField(decimal_places=2, max_digits=14)),
                ("previous_monthly_payment", models.DecimalField(decimal_places=2, max_digits=14)),
                ("base_monthly_payment", models.DecimalField(decimal_places=2, max_digits=14)),
                ("new_monthly_payment", models.DecimalField(decimal_places=2, max_digits=14)),
                ("surplus", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14)),
                ("shortage", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14)),
                ("deficiency", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("surplus", "Surplus"),
                            ("shortage", "Shortage"),
                            ("deficiency", "Deficiency"),
                            ("balanced", "Balanced"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("none", "Nothing to settle"),
                            ("refund", "Surplus refunded within 30 days"),
                            ("credit", "Surplus under $50 credited against the year's payments"),
                            ("retained", "Surplus retained (borrower not current)"),
                            ("spread_12", "Shortage/deficiency spread over 12 months"),
                        ],
                        max_length=16,
                    ),
                ),
                ("spread_months", models.PositiveSmallIntegerField(default=0)),
                ("installments_updated", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name_plural": "escrow analyses",
                "ordering": ["loan_id", "analysis_date"],
            },
        ),
        migrations.CreateModel(
            name="EscrowDisbursement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("due_date", models.DateField()),
                ("paid_on", models.DateField(help_text="The business date the nightly close paid it.")),
                ("payment_number", models.PositiveSmallIntegerField()),
                ("payee", models.CharField(blank=True, max_length=200)),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("advanced", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["loan_id", "due_date", "id"],
            },
        ),
        migrations.CreateModel(
            name="EscrowRefund",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("due_by", models.DateField()),
                ("paid_on", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["loan_id", "paid_on"],
            },
        ),
        migrations.AddField(
            model_name="escrowitem",
            name="next_payment_number",
            field=models.PositiveSmallIntegerField(
                db_default=1,
                default=1,
                help_text="Which of the year's payments the next one is (1 to payments per year).",
            ),
        ),
        migrations.AddField(
            model_name="loanaccount",
            name="escrow_analysis_date",
            field=models.DateField(
                blank=True,
                db_index=True,
                help_text="Next annual escrow analysis (the notice date); blank when the loan has no escrow.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="escrowitem",
            name="next_due_date",
            field=models.DateField(db_index=True),
        ),
        migrations.AlterField(
            model_name="escrowitem",
            name="payments_per_year",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (6, "6"), (12, "12")], default=1
            ),
        ),
        migrations.AddConstraint(
            model_name="escrowitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("payments_per_year__in", (1, 2, 3, 4, 6, 12))),
                name="escrow_item_payments_divide_year",
            ),
        ),
        migrations.AddConstraint(
            model_name="escrowitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("next_payment_number__gte", 1), ("next_payment_number__lte", models.F("payments_per_year"))
                ),
                name="escrow_item_payment_number_in_year",
            ),
        ),
        migrations.AddField(
            model_name="escrowanalysis",
            name="effective_installment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="servicing.installment",
            ),
        ),
        migrations.AddField(
            model_name="escrowanalysis",
            name="loan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="escrow_analyses", to="servicing.loanaccount"
            ),
        ),
        migrations.AddField(
            model_name="escrowdisbursement",
            name="item",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="disbursements", to="servicing.escrowitem"
            ),
        ),
        migrations.AddField(
            model_name="escrowdisbursement",
            name="journal_entry",
            field=models.ForeignKey(
                blank=True,
                help_text="The night's entry for the loan's disbursements (one entry per loan and night).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escrow_disbursements",
                to="servicing.journalentry",
            ),
        ),
        migrations.AddField(
            model_name="escrowdisbursement",
            name="loan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escrow_disbursements",
                to="servicing.loanaccount",
            ),
        ),
        migrations.AddField(
            model_name="escrowrefund",
            name="analysis",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="refund", to="servicing.escrowanalysis"
            ),
        ),
        migrations.AddField(
            model_name="escrowrefund",
            name="journal_entry",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="escrow_refund", to="servicing.journalentry"
            ),
        ),
        migrations.AddField(
            model_name="escrowrefund",
            name="loan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="escrow_refunds", to="servicing.loanaccount"
            ),
        ),
        migrations.AddConstraint(
            model_name="escrowanalysis",
            constraint=models.UniqueConstraint(fields=("loan", "analysis_date"), name="escrow_analysis_once_per_date"),
        ),
        migrations.AddConstraint(
            model_name="escrowdisbursement",
            constraint=models.UniqueConstraint(
                fields=("item", "due_date"), name="escrow_disbursement_once_per_due_date"
            ),
        ),
        migrations.AddConstraint(
            model_name="escrowdisbursement",
            constraint=models.CheckConstraint(
                condition=models.Q(("advanced__gte", 0), ("advanced__lte", models.F("amount")), ("amount__gte", 0)),
                name="escrow_disbursement_amounts",
            ),
        ),
        migrations.AddConstraint(
            model_name="escrowrefund",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="escrow_refund_positive"),
        ),
        migrations.AddConstraint(
            model_name="escrowrefund",
            constraint=models.CheckConstraint(
                condition=models.Q(("paid_on__lte", models.F("due_by"))), name="escrow_refund_within_due"
            ),
        ),
        migrations.RunPython(backfill_analysis_dates, migrations.RunPython.noop),
    ]
