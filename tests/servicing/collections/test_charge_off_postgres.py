"""On PostgreSQL, with the journal triggers checking each entry at commit: a charge-off and a recovery commit,
and two managers charging off the same loan at once post one charge-off."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from lending.core import roles
from servicing.models import ChargeOff, JournalEntry, LoanAccount
from servicing.services.charge_off import loan_charge_off, recovery_post
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_managers_at_once_post_one_charge_off_and_the_recovery_commits():
    loan = delinquent_loan()
    managers = [user_with_role(roles.MANAGER), user_with_role(roles.MANAGER)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def charge(manager):
        try:
            barrier.wait()
            results.append(loan_charge_off(actor=manager, loan=loan, reason="x", as_of=date(2026, 12, 1)).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=charge, args=(m,)) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert (ChargeOff.objects.count(), JournalEntry.objects.filter(kind="charge_off").count()) == (1, 1)
    assert LoanAccount.objects.get(pk=loan.pk).status == "charged_off"
    recovery = recovery_post(
        actor=managers[0],
        loan=loan,
        amount=ChargeOff.objects.get().loss,
        received_on=date(2026, 12, 2),
        method="wire",
        idempotency_key="PG-1",
    )
    assert recovery.journal_entry.kind == "recovery"


def test_the_dashboard_and_the_export_on_postgresql(client, monkeypatch):
    from django.urls import reverse
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 4))

    from servicing.models import DelinquencyHistory

    loan = delinquent_loan()
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=date(2026, 11, 2),
        days_past_due=1,
        bucket_from="current",
        bucket_to="1-29",
        status_from="current",
        status_to="delinquent",
    )
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=date(2026, 12, 2),
        days_past_due=31,
        bucket_from="1-29",
        bucket_to="30-59",
        status_from="delinquent",
        status_to="delinquent",
    )
    client.force_login(user_with_role(roles.COLLECTOR))
    page = client.get(reverse("collections:dashboard"))
    assert page.status_code == 200
    # November's end: 1-29; December to date: 30-59 -> 1 of 1 rolled.
    assert '<td class="text-end">100.0% <span class="text-muted">(1/1)</span></td>' in page.content.decode()
    export = client.get(reverse("collections:queue-export"))
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[1].startswith(f"{loan.loan_number},")
    assert ",5817.46," in lines[1]
