"""Metro 2 demo data for `manage.py seed_demo`: the demo's transferred loans (boarded with a name only) get the
consumer identification and address the file reports them under, so the month's file shows the late, forborne
and charged-off loans beside the originated ones. The SSNs are in the 666 area, which is never issued.
Idempotent: a loan that has its reported consumer keeps it."""

from __future__ import annotations

from datetime import date, timedelta

from lending.core import roles
from lending.core.selectors import users_with_role
from servicing.models import LoanAccount, Metro2File, ReportedConsumer
from servicing.services.metro2 import metro2_file_build


def _consumer(loan: LoanAccount) -> ReportedConsumer:
    first, _, last = (loan.borrower_name or "Demo Borrower").partition(" ")
    return ReportedConsumer(
        loan=loan,
        surname=last or "Borrower",
        first_name=first,
        ssn=f"666-{loan.pk % 100:02d}-{loan.pk % 10000:04d}",
        date_of_birth=date(1975, 1, 1) + timedelta(days=97 * loan.pk),
        address_line1=f"{100 + loan.pk} Demo Street",
        city="Springfield",
        state="IL",
        postal_code="62701",
    )


def metro2_demo_seed(*, month: date, stdout) -> int:
    """Reported consumers for the transferred demo loans that have none; print the month's file's statuses."""
    loans = LoanAccount.objects.filter(
        application__isnull=True, loan_number__startswith="DEMO", reported_consumer__isnull=True
    ).order_by("pk")
    added = ReportedConsumer.objects.bulk_create([_consumer(loan) for loan in loans])
    made = _demo_file(month)
    statuses = ", ".join(f"{row['code']} x{row['records']}" for row in made.summary.get("statuses", []))
    stdout.write(
        f"Metro 2 demo: {len(added)} transferred loans given a reported consumer; the {month:%Y-%m} file reports "
        f"{made.base_records} accounts ({statuses}): sign in as the manager (or the accountant) and open "
        f"/staff/reports/metro2/."
    )
    return len(added)


def _demo_file(month: date) -> Metro2File:
    """The month's file, made once (a second seed finds it), as the background job makes it."""
    first = month.replace(day=1)
    made = Metro2File.objects.filter(month=first, status=Metro2File.Status.READY).first()
    if made is None:
        manager = users_with_role(roles.MANAGER).order_by("pk").first()
        made = Metro2File.objects.create(month=first, requested_by=manager)
        made = metro2_file_build(file_id=made.pk) or made
    return made
