"""The two audit rows of a payment written together (``payment_post`` on PostgreSQL, no replay, nothing prepaid),
made as their columns (issue 15): who posted, what, on which rows, and the record, as the instances recorded them."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import JournalEntry, LoanTransaction
from servicing.services import payments
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def test_a_payment_written_together_records_the_poster_the_entry_and_the_payment():
    servicer = user_with_role(roles.SERVICER)
    loan = boarded_loan()
    txn = payment_post(
        loan=loan,
        amount=Decimal("500.00"),
        effective_date=TODAY,
        method="ach",
        reference="ref-rows",
        idempotency_key="rows",
        actor=servicer,
    )
    entry = AuditEvent.objects.get(verb="journal.posted", target_id=str(txn.journal_entry_id))
    posted = AuditEvent.objects.get(verb="payment.posted", target_id=str(txn.pk))
    assert entry.pk + 1 == posted.pk  # in this order, in one statement
    assert (entry.verb, entry.target_type, entry.target_id) == (
        "journal.posted",
        ContentType.objects.get_for_model(JournalEntry),
        str(txn.journal_entry_id),
    )
    assert (posted.verb, posted.target_type, posted.target_id, posted.target_repr) == (
        "payment.posted",
        ContentType.objects.get_for_model(LoanTransaction),
        str(txn.pk),
        str(txn),
    )
    assert {(row.actor, row.actor_label) for row in (entry, posted)} == {(servicer, servicer.email)}
    assert {key: posted.after[key] for key in ("loan", "amount", "effective_date", "method", "reference")} == {
        "loan": loan.loan_number,
        "amount": "500.00",
        "effective_date": TODAY.isoformat(),
        "method": "ach",
        "reference": "ref-rows",
    }
    assert (posted.after["journal_entry"], posted.after["replay"]) == (txn.journal_entry_id, None)
    assert "installments_repriced" not in posted.after
    assert entry.after["lines"][0] == ["cash", "500.00", "0.00"]
    assert entry.after["loan"] == loan.loan_number
