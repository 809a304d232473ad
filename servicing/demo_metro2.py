"""Metro 2 demo data for `manage.py seed_demo`: the demo's transferred loans (boarded with a name only) get the
consumer identification and address the file reports them under, so the month's file shows the late, forborne
and charged-off loans beside the originated ones. The SSNs are in the 666 area, which is never issued.
Idempotent: a loan that has its reported consumer keeps it."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from servicing.metro2.file import Metro2Summary
from servicing.models import LoanAccount, ReportedConsumer
from servicing.selectors.metro2 import metro2_end, metro2_file_lines


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
    summary = Metro2Summary(end=metro2_end(month))
    for _line in metro2_file_lines(month=month, summary=summary):
        pass
    statuses = ", ".join(f"{code} x{count}" for code, count in sorted(Counter(summary.by_status).items()))
    stdout.write(
        f"Metro 2 demo: {len(added)} transferred loans given a reported consumer; the {month:%Y-%m} file reports "
        f"{summary.base_records} accounts ({statuses}): sign in as the manager and open "
        f"/staff/reports/metro2/?month={month:%Y-%m}."
    )
    return len(added)
