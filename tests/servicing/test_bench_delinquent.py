"""The bench's delinquency fixture (bench/_delinquent.py): committed for bench_load's gunicorn, it fills the
collections queue, and undoing it gives back the seeded portfolio row for row. PostgreSQL only (set-based SQL)."""

import pytest
from django.db import connection

from bench._delinquent import delinquent_commit, delinquent_undo
from bench._servicing_seed import HISTORY_MONTHS, seed_portfolio
from servicing.models import ContactAttempt, DelinquencyHistory, Installment, LoanAccount, PromiseToPay
from servicing.selectors.collections import QueueFilters, collections_queue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _state() -> tuple[list[tuple], list[tuple], list[int]]:
    installments = list(
        Installment.objects.order_by("pk").values_list(
            "pk", "paid_principal", "paid_interest", "paid_escrow", "paid_on"
        )
    )
    loans = list(
        LoanAccount.objects.order_by("pk").values_list(
            "pk",
            "days_past_due",
            "delinquency_bucket",
            "delinquency_status",
            "delinquency_as_of",
            "amount_to_bring_current",
            "collector_id",
        )
    )
    counts = [model.objects.count() for model in (DelinquencyHistory, ContactAttempt, PromiseToPay)]
    return installments, loans, counts


def _saved_tables() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'bench_delinquent_%%'")
        return cursor.fetchone()[0]


def test_the_queue_holds_delinquent_loans_until_undone_and_the_portfolio_comes_back_as_seeded():
    seed_portfolio(60, months=HISTORY_MONTHS)
    seeded = _state()
    assert not collections_queue(QueueFilters()).exists()

    delinquent_commit()
    delinquent = LoanAccount.objects.filter(days_past_due__gt=0)
    assert delinquent.count() == sum(1 for pk in LoanAccount.objects.values_list("pk", flat=True) if pk % 25 in (0, 1))
    assert collections_queue(QueueFilters()).exists()
    assert Installment.objects.filter(loan__in=delinquent, paid_on__isnull=True, number__lte=HISTORY_MONTHS).exists()
    assert _saved_tables() == 3
    once = _state()
    assert once[2] > seeded[2]

    delinquent_commit()  # a run after one that died undoes it first: the same rows, not twice
    assert _state() == once

    delinquent_undo()
    assert _state() == seeded
    assert _saved_tables() == 0
    delinquent_undo()  # nothing to undo
    assert _state() == seeded
