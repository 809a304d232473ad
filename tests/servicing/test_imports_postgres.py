"""Payment imports on PostgreSQL: two commits of the same batch at once (a double click, a rerun of the command
while the first runs) post every line exactly once, and the books stay equal to the journal."""

import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection

from servicing import selectors
from servicing.models import ImportBatch, ImportLine, LoanTransaction
from servicing.services import payments
from servicing.services.imports import payment_import_commit, payment_import_stage
from tests.servicing.factories import boarded_loan

TODAY = date(2026, 12, 1)
HEADER = "loan_number,amount,effective_date,reference,directive\n"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_committed_twice_at_once_posts_each_line_once():
    loans = [boarded_loan(consumer=True) for _ in range(3)]
    rows = "".join(
        f"{loans[i % 3].loan_number},{5 + i % 7}.00,2026-12-01,CC-{i},{'principal_only' if i % 2 else 'standard'}\n"
        for i in range(150)
    )
    batch = payment_import_stage(file_name="cc.csv", content=HEADER + rows, actor=None)
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            payment_import_commit(batch=ImportBatch.objects.get(pk=batch.pk), actor=None)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a commit hung (deadlock?)"
    assert errors == []
    assert LoanTransaction.objects.count() == 150
    assert ImportLine.objects.filter(batch=batch, status="posted").count() == 150
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_split_the_loans_and_keep_each_loans_lines_in_file_order():
    loans = [boarded_loan(), *(boarded_loan(consumer=True) for _ in range(3))]  # the mortgage holds partials
    due = loans[0].installments.get(number=1).payment
    consumer_due = loans[1].installments.get(number=1).payment
    rows = [
        f"{loans[0].loan_number},500.00,2026-12-01,W-1,standard",  # held in suspense ...
        f"{loans[1].loan_number},{consumer_due},2026-12-01,W-2,standard",
        f"{loans[0].loan_number},{due - 500},2026-12-01,W-3,standard",  # ... and applied by this one, after it
        f"{loans[2].loan_number},{consumer_due},2026-12-01,W-4,standard",
        f"{loans[3].loan_number},25.00,2026-12-01,W-5,principal_only",
        f"{loans[2].loan_number},30.00,2026-12-01,W-6,principal_only",
    ]
    batch = payment_import_stage(file_name="w.csv", content=HEADER + "\n".join(rows) + "\n", actor=None)

    batch = payment_import_commit(batch=batch, actor=None, workers=2)

    assert batch.posted_count == 6
    assert batch.posted_total == sum((D(row.split(",")[1]) for row in rows), D("0.00"))
    later = LoanTransaction.objects.get(reference="W-3")
    assert later.allocation_lines.current().get(bucket="suspense").amount == D("-500.00")
    assert loans[0].installments.get(number=1).paid_on == TODAY
    assert selectors.loan_balance_mismatches() == []
    assert selectors.unbalanced_entries() == []
