"""Nightly billing: the amount due by component on the due date, past due carried, once per loan and due date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import BillingRecord, JournalEntry
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.nightly.steps.billing import BillingStep
from servicing.services.nightly.steps.interest import InterestStep
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.money_asserts import cell_texts
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
# The factory mortgage's installments: 1 due 2027-01-01 (principal 271.20, interest 2,600.06, escrow 525.00:
# 3,396.26), 2 due 2027-02-01 (272.67 + 1,623.53 + 525.00 = 2,421.20).


def _night(day: date) -> list[int]:
    step = BillingStep()
    ids = list(step.pending_loan_ids(day))
    result = step.run_chunk(day, ids, None)
    assert result.errors == []
    return ids


def _bill(loan, due: date) -> tuple[Decimal, ...]:
    record = BillingRecord.objects.get(loan=loan, due_date=due)
    return (record.principal, record.interest, record.escrow, record.fees, record.past_due, record.total)


def test_an_installment_is_billed_on_its_due_date_by_component_and_past_due_carries():
    loan = boarded_loan()
    assert _night(date(2026, 12, 31)) == []  # nothing due yet
    assert _night(date(2027, 1, 1)) == [loan.pk]
    assert _bill(loan, date(2027, 1, 1)) == (D("271.20"), D("2600.06"), D("525.00"), ZERO, ZERO, D("3396.26"))
    assert _night(date(2027, 1, 2)) == []  # billed: the next nights find nothing until the next due date
    # A 35.00 fee is assessed and nothing is paid: February's bill carries January's 3,396.26 as past due and
    # the fee: 2,421.20 + 35.00 + 3,396.26 = 5,852.46.
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 1, 17),
        kind=JournalEntry.Kind.FEE,
        memo="Late fee",
        lines=[("fees_receivable", D("35.00"), ZERO), ("fee_income", ZERO, D("35.00"))],
    )
    entries = JournalEntry.objects.count()
    assert _night(date(2027, 2, 1)) == [loan.pk]
    assert _bill(loan, date(2027, 2, 1)) == (
        D("272.67"),
        D("1623.53"),
        D("525.00"),
        D("35.00"),
        D("3396.26"),
        D("5852.46"),
    )
    assert JournalEntry.objects.count() == entries  # billing moves no money
    event = AuditEvent.objects.filter(verb="loan.billed_bulk").latest("pk")
    record = BillingRecord.objects.get(loan=loan, due_date=date(2027, 2, 1))
    assert (event.after["bills"], event.after["total"], event.after["first_record"]) == (1, "5852.46", record.pk)
    assert event.after["past_due"] == "3396.26"


def test_an_installment_paid_before_its_due_date_bills_nothing_due(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 20))
    loan = boarded_loan()
    payment_post(
        loan=loan,
        amount=D("3396.26"),
        effective_date=date(2026, 12, 20),
        method="ach",
        reference="early",
        idempotency_key="early",
        actor=None,
    )
    _night(date(2027, 1, 1))
    assert _bill(loan, date(2027, 1, 1)) == (ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


def test_a_missed_night_bills_on_the_next_run_and_a_rerun_writes_nothing():
    loan = boarded_loan()
    assert _night(date(2027, 1, 4)) == [loan.pk]  # Jan 1 to 3 never ran
    record = BillingRecord.objects.get(loan=loan)
    assert (record.due_date, record.billed_on, record.total) == (date(2027, 1, 1), date(2027, 1, 4), D("3396.26"))
    counts = (BillingRecord.objects.count(), AuditEvent.objects.count())
    assert BillingStep().run_chunk(date(2027, 1, 4), [loan.pk], None).done == 1  # called again directly
    assert BillingStep().run_chunk(date(2027, 1, 5), [loan.pk], None).done == 1
    assert (BillingRecord.objects.count(), AuditEvent.objects.count()) == counts


def test_servicers_see_the_bills_and_accrual_rows_in_the_admin_read_only(client):
    loan = boarded_loan()
    _night(date(2027, 1, 1))
    InterestStep().run_chunk(date(2027, 1, 2), [loan.pk], None)
    client.force_login(user_with_role(roles.SERVICER))
    page = client.get(reverse("admin:servicing_billingrecord_changelist")).content.decode()
    assert loan.loan_number in page
    assert "$3,396.26" in cell_texts(page)
    page = client.get(reverse("admin:servicing_interestaccrual_changelist")).content.decode()
    cells = cell_texts(page)
    assert "$2,600.06" in cells  # the first period, then Jan 2's 54.12
    assert "$54.12" in cells
    record = BillingRecord.objects.get(loan=loan)
    assert client.get(reverse("admin:servicing_billingrecord_change", args=[record.pk])).status_code == 200
    assert client.get(reverse("admin:servicing_billingrecord_add")).status_code == 403
    client.force_login(user_with_role(roles.LOAN_OFFICER))  # not admin staff: sent to the admin login
    response = client.get(reverse("admin:servicing_billingrecord_changelist"))
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_loans_billed_in_one_chunk_each_get_their_own_installment_and_past_due(monkeypatch):
    # Three loans in one chunk: one paid January before its due date, one missed January, one billed for the
    # first time in February. Each bill is its own loan's figures (the chunk reads every loan's installments at
    # once).
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 20))
    paid, missed = boarded_loan(), boarded_loan()
    payment_post(
        loan=paid,
        amount=D("3396.26"),
        effective_date=date(2026, 12, 20),
        method="ach",
        reference="early",
        idempotency_key="early",
        actor=None,
    )
    assert _night(date(2027, 1, 1)) == [paid.pk, missed.pk]
    assert _bill(paid, date(2027, 1, 1)) == (ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)
    assert _bill(missed, date(2027, 1, 1)) == (D("271.20"), D("2600.06"), D("525.00"), ZERO, ZERO, D("3396.26"))
    first_billed_in_february = boarded_loan()
    assert _night(date(2027, 2, 1)) == [paid.pk, missed.pk, first_billed_in_february.pk]
    february = (D("272.67"), D("1623.53"), D("525.00"), ZERO)
    assert _bill(paid, date(2027, 2, 1)) == (*february, ZERO, D("2421.20"))
    assert _bill(missed, date(2027, 2, 1)) == (*february, D("3396.26"), D("5817.46"))
    assert _bill(first_billed_in_february, date(2027, 2, 1)) == (*february, D("3396.26"), D("5817.46"))
    # The latest due date only: January is in its past due.
    assert BillingRecord.objects.filter(loan=first_billed_in_february).count() == 1
