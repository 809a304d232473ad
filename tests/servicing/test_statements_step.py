"""The statements step of the close of business: which loans are pending on which night, idempotency, a missed
night, the product's lead time, and a constant number of queries per chunk for the figures."""

from __future__ import annotations

from datetime import date

import pytest

from lending.core.models import AuditEvent
from servicing.models import BorrowerDocument, LoanAccount, Statement
from servicing.selectors.statements import statement_figures
from servicing.services.nightly.base import steps_in_order
from servicing.services.nightly.steps.statements import StatementsStep
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db

# The factory's mortgage: first payment Friday 2027-01-01; 15 days' lead: its first statement is made at the close
# of Thursday 2026-12-17 (Jan 1 - 15 days), not before.


def _run(day: date) -> list[int]:
    step = StatementsStep()
    ids = list(step.pending_loan_ids(day))
    result = step.run_chunk(day, ids, None)
    assert result.errors == []
    assert result.done == len(ids)
    return ids


def test_the_step_runs_after_escrow_and_before_promises():
    names = [step.name for step in steps_in_order()]
    assert names[-4:-1] == ["escrow", "statements", "promises"]


def test_the_first_statement_is_made_on_its_statement_date_once():
    loan = boarded_loan()
    assert _run(date(2026, 12, 16)) == []  # Jan 1 - 16 days: not yet
    assert _run(date(2026, 12, 17)) == [loan.pk]
    statement = Statement.objects.get()
    document = statement.document
    assert (statement.loan, statement.due_date, statement.statement_date) == (
        loan,
        date(2027, 1, 1),
        date(2026, 12, 17),
    )
    assert (document.kind, document.key, document.version, document.document_date, document.pages) == (
        BorrowerDocument.Kind.STATEMENT,
        "2027-01-01",
        1,
        date(2026, 12, 17),
        1,
    )
    assert document.title == "Mortgage statement, payment due Jan 1, 2027"
    # 271.20 + 2,600.06 + 525.00 = 3,396.26 (the first installment, with the odd first period's interest)
    assert statement.amount_due == statement.principal + statement.interest + statement.escrow
    assert str(statement.amount_due) == "3396.26"
    assert AuditEvent.objects.filter(verb="loan.statement_made", target_id=str(statement.pk)).count() == 1


def test_a_rerun_makes_nothing():
    loan = boarded_loan()
    _run(date(2026, 12, 17))
    counts = (Statement.objects.count(), BorrowerDocument.objects.count(), AuditEvent.objects.count())
    assert _run(date(2026, 12, 17)) == []
    assert _run(date(2026, 12, 18)) == []  # the next night: the same due date is done
    # A chunk delivered twice (a worker died after committing it) finds the loan done and writes nothing.
    assert StatementsStep().run_chunk(date(2026, 12, 17), [loan.pk], None).done == 1
    assert (Statement.objects.count(), BorrowerDocument.objects.count(), AuditEvent.objects.count()) == counts


def test_a_missed_night_is_caught_up_by_the_next_one():
    # Or a loan boarded after its statement date (inside the window): the first night it is on the books makes it.
    loan = boarded_loan()
    # No close on Dec 17 or 18; Monday Dec 21 makes January's statement, dated that night.
    assert _run(date(2026, 12, 21)) == [loan.pk]
    statement = Statement.objects.get()
    assert (statement.due_date, statement.statement_date) == (date(2027, 1, 1), date(2026, 12, 21))


def test_the_next_cycle_follows_billing():
    loan = boarded_loan()
    _run(date(2026, 12, 17))
    # Billing on Jan 1 moves the next installment to bill to Feb 1: its statement is due on Jan 17 (Feb 1 - 15).
    LoanAccount.objects.filter(pk=loan.pk).update(next_bill_date=date(2027, 2, 1))
    assert _run(date(2027, 1, 15)) == []
    assert _run(date(2027, 1, 17)) == [loan.pk]
    assert list(Statement.objects.order_by("due_date").values_list("due_date", "statement_date")) == [
        (date(2027, 1, 1), date(2026, 12, 17)),
        (date(2027, 2, 1), date(2027, 1, 17)),
    ]
    # The second statement's activity starts the day after the first one.
    assert Statement.objects.get(due_date=date(2027, 2, 1)).period_start == date(2026, 12, 18)


def test_before_its_first_bill_a_loan_is_made_its_next_due_dates_statement():
    # As a transferred loan is boarded: no bill yet, its next due date (February's) long after its first payment.
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(next_due_date=date(2027, 2, 1))
    assert _run(date(2027, 1, 15)) == []
    assert _run(date(2027, 1, 17)) == [loan.pk]  # Feb 1 - 15 days
    assert Statement.objects.get().due_date == date(2027, 2, 1)  # the selector asks for the date the SQL found
    assert _run(date(2027, 1, 18)) == []


def test_the_lead_time_is_the_products():
    product = LoanProductFactory(statement_days_before_due=20)
    loan = boarded_loan(product=product)
    assert loan.statement_days_before_due == 20
    other = boarded_loan()  # 15 days
    assert _run(date(2026, 12, 11)) == []
    assert _run(date(2026, 12, 12)) == [loan.pk]  # Jan 1 - 20 days
    assert _run(date(2026, 12, 17)) == [other.pk]


def test_paid_off_loans_get_none():
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    assert _run(date(2026, 12, 17)) == []


def _figures_of(count: int, django_assert_max_num_queries) -> None:
    ids = [boarded_loan().pk for _ in range(count)]
    # The loans (with their last statement's date), their installments, the payments' allocation, the
    # transactions, the fees, the escrow disbursements and the escrow refunds: seven, whatever the chunk's size.
    with django_assert_max_num_queries(11):  # 7 + 3 for the loans' open plans (selectors.plans) + 1 referrals
        figures = statement_figures(business_date=date(2026, 12, 17), loan_ids=ids)
    assert len(figures) == count


def test_the_figures_of_a_chunk_take_the_same_queries_for_2_or_20_loans(django_assert_max_num_queries):
    _figures_of(2, django_assert_max_num_queries)
    _figures_of(20, django_assert_max_num_queries)
