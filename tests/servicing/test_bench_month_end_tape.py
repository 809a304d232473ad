"""The bench's month-end tape (bench/_servicing_seed.py ``seed_month_end_tape``, set-based SQL) is the tape the
nightly closes would have written: row for row and count for count what ``month_end_rebuild`` writes from the same
delinquency history. PostgreSQL only (the statement uses arrays)."""

from __future__ import annotations

from datetime import date

import pytest

from bench._servicing_seed import seed_month_end_tape
from servicing.models import DelinquencyHistory, LoanMonthEnd, LoanMonthEndCount
from servicing.services.month_end import month_end_rebuild
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TODAY = date(2027, 3, 10)
MONTHS = (date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1))


def _moved(loan, day: date, days: int, bucket_from: str, bucket_to: str) -> None:
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=day,
        days_past_due=days,
        bucket_from=bucket_from,
        bucket_to=bucket_to,
        status_from="delinquent" if days else "current",
        status_to="delinquent" if days else "current",
    )


def _tape() -> tuple[list[tuple], list[tuple]]:
    rows = LoanMonthEnd.objects.filter(month__in=MONTHS).order_by("month", "loan_id")
    counts = LoanMonthEndCount.objects.filter(month__in=MONTHS).order_by(
        "month", "product_code", "bucket_before", "bucket"
    )
    fields = (
        *("month", "as_of", "loan_id", "product_code", "bucket_before", "principal_before", "bucket"),
        *("days_past_due", "principal_balance"),
    )
    return (
        list(rows.values_list(*fields)),
        list(
            counts.values_list(
                "month", "product_code", "bucket_before", "bucket", "loans", "principal_before", "principal_balance"
            )
        ),
    )


def test_the_bench_tape_is_what_the_month_end_rebuild_writes_from_the_same_history():
    """Loans boarded Nov 13, 2026; closes Nov 30, Dec 31, Jan 29 (a Friday), Feb 26 (a Friday)."""
    rolling, cured, quiet = delinquent_loan(), delinquent_loan(), delinquent_loan()  # quiet: never moves
    _moved(rolling, date(2026, 11, 20), 5, "current", "1-29")
    _moved(rolling, date(2026, 12, 15), 30, "1-29", "30-59")
    _moved(rolling, date(2027, 1, 30), 60, "30-59", "60-89")  # a Saturday, after January's close
    _moved(cured, date(2027, 1, 5), 3, "current", "1-29")
    _moved(cured, date(2027, 2, 26), 0, "1-29", "current")  # on February's close

    assert seed_month_end_tape(3, TODAY) == 9
    seeded = _tape()
    moves = [(month, loan, before, after, days) for month, _, loan, _, before, _, after, days, _ in seeded[0]]
    assert moves == [
        (MONTHS[0], rolling.pk, "1-29", "30-59", 46),  # 30 days on Dec 15, 16 more by the Dec 31 close
        (MONTHS[0], cured.pk, "current", "current", 0),
        (MONTHS[0], quiet.pk, "current", "current", 0),
        (MONTHS[1], rolling.pk, "30-59", "30-59", 75),  # moved on Saturday Jan 30, after the Jan 29 close
        (MONTHS[1], cured.pk, "current", "1-29", 27),
        (MONTHS[1], quiet.pk, "current", "current", 0),
        (MONTHS[2], rolling.pk, "30-59", "60-89", 87),
        (MONTHS[2], cured.pk, "1-29", "current", 0),  # cured on the Feb 26 close itself
        (MONTHS[2], quiet.pk, "current", "current", 0),
    ]
    assert {row[5] for row in seeded[0]} == {rolling.principal_balance}  # every loan's $300,000.00
    assert seed_month_end_tape(3, TODAY) == 0  # the tape holds those months: nothing written twice

    LoanMonthEndCount.objects.all().delete()
    LoanMonthEnd.objects.all().delete()
    for month in (date(2026, 11, 1), *MONTHS):
        month_end_rebuild(month=month, actor=None)
    assert _tape() == seeded
