"""Payment imports on PostgreSQL: two commits of the same batch at once (a double click, a rerun of the command
while the first runs) post every line exactly once, and the books stay equal to the journal."""

import threading
from datetime import date

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
