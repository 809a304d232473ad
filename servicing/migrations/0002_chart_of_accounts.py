"""Seed the chart of accounts the servicing code posts to (a copy of servicing.models.ledger.CHART as of now)."""

from django.db import migrations

CHART = (
    ("cash", "1000", "Cash and clearing", "asset", "debit"),
    ("loans_receivable", "1100", "Loans receivable (principal)", "asset", "debit"),
    ("interest_receivable", "1200", "Interest receivable", "asset", "debit"),
    ("fees_receivable", "1300", "Fees receivable", "asset", "debit"),
    ("escrow_liability", "2100", "Escrow liability", "liability", "credit"),
    ("suspense", "2200", "Suspense (unapplied funds)", "liability", "credit"),
    ("interest_income", "4100", "Interest income", "income", "credit"),
    ("fee_income", "4200", "Fee income", "income", "credit"),
    ("charge_off_loss", "5100", "Charge-off loss", "expense", "debit"),
)


def seed(apps, schema_editor):
    LedgerAccount = apps.get_model("servicing", "LedgerAccount")
    for code, number, name, kind, side in CHART:
        LedgerAccount.objects.get_or_create(
            code=code, defaults={"number": number, "name": name, "kind": kind, "normal_side": side}
        )


def unseed(apps, schema_editor):
    apps.get_model("servicing", "LedgerAccount").objects.filter(code__in=[row[0] for row in CHART]).delete()


class Migration(migrations.Migration):
    dependencies = [("servicing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
