"""The standard document types a lender asks for; products pick their checklist from these (admin)."""

from django.db import migrations

# (code, name, description, borrower_provides)
STANDARD_DOCUMENT_TYPES = (
    ("pay-stub", "Pay stubs", "Your most recent pay stubs covering 30 days.", True),
    ("w-2", "W-2 forms", "W-2 forms for the last two years.", True),
    ("bank-statement", "Bank statements", "All pages of your last two monthly statements for each account.", True),
    ("tax-return", "Tax returns", "Signed federal tax returns for the last two years, all schedules.", True),
    ("photo-id", "Photo ID", "A current driver's licence, state ID or passport.", True),
    ("purchase-contract", "Purchase contract", "The fully signed purchase agreement and addenda.", True),
    ("appraisal", "Appraisal", "Ordered by the lender from an independent appraiser.", False),
    ("title", "Title commitment", "Ordered by the lender from the title company.", False),
    ("insurance", "Homeowner's insurance", "The declarations page of the policy on the property.", True),
)


def add_types(apps, schema_editor):
    DocumentType = apps.get_model("origination", "DocumentType")
    for code, name, description, borrower_provides in STANDARD_DOCUMENT_TYPES:
        DocumentType.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "borrower_provides": borrower_provides},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("origination", "0002_underwriting_notice_calculations"),
    ]

    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
