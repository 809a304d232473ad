"""Two NACHA files made at the same moment on PostgreSQL: the debits are locked and re-read under the lock, so
one file takes them all and the other is refused; no debit is sent twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicing.models import AchFile, PendingPayment
from servicing.services import ach_files
from servicing.services.ach import AchError
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories_portal import TODAY, ach_schedule, borrower_loan, set_today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SETTLES = date(2026, 12, 3)


def test_two_files_made_at_once_send_each_debit_once(monkeypatch):
    set_today(monkeypatch, TODAY)
    monkeypatch.setattr(ach_files, "_now", lambda: datetime(2026, 12, 2, 16, 30, tzinfo=ZoneInfo("America/New_York")))
    loan = borrower_loan()
    debits = [ach_schedule(loan, "100.00", f"k{i}", when=TODAY + timedelta(days=1)) for i in range(3)]

    errors = run_in_threads(2, lambda _: ach_files.ach_file_create(settlement_date=SETTLES, actor=None))

    made = AchFile.objects.get()
    assert (made.file_id_modifier, made.entry_count, str(made.total)) == ("A", 3, "300.00")
    assert set(PendingPayment.objects.values_list("ach_file_id", flat=True)) == {made.pk}
    assert sorted(made.payments.values_list("pk", flat=True)) == [d.pk for d in debits]
    assert [type(e) for e in errors] == [AchError]
    assert str(errors[0]) == "there is no ACH debit settling 2026-12-03 that is not already in a file"
