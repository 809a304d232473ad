"""An exact, on-time payment settles the installment due (issue 9, item 1): posted through ``payment_post`` and
``payments_post_many`` on a ``fees_interest_principal`` loan, within grace, and shown on the borrower's portal."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from servicing.models import Installment, JournalLine
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from tests.servicing.factories_portal import borrower_loan, set_today
from tests.servicing.test_payments import _assert_books, _lines, _pay

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


def _installments(loan) -> tuple[Installment, Installment]:
    first, second = Installment.objects.filter(loan=loan, number__in=(1, 2)).order_by("number")
    return first, second


def _assert_first_settled_second_untouched(loan, txn, first, second, when):
    assert loan.allocation_strategy == "fees_interest_principal"
    assert _lines(txn) == {(1, "interest"): first.interest, (1, "principal"): first.principal}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.paid_on == when
    assert (second.paid_interest, second.paid_principal, second.paid_on) == (ZERO, ZERO, None)
    loan.refresh_from_db()
    assert loan.next_due_date == second.due_date
    assert loan.interest_paid_through == first.due_date
    # No interest of the installment not yet due is taken: only the first's, credited to interest paid in advance
    # (no nightly accrual ran in this test, so none of it is receivable yet) and never straight to income.
    interest = JournalLine.objects.filter(entry=txn.journal_entry, account__code__startswith="interest_").get()
    assert (interest.account.code, interest.credit) == ("interest_prepaid", first.interest)
    _assert_books()


def test_exact_payment_three_days_after_the_due_date_settles_that_installment(monkeypatch, client):
    loan = borrower_loan(consumer=True)
    first, second = _installments(loan)
    when = first.due_date + timedelta(days=3)  # within the 15 days of grace
    set_today(monkeypatch, when)
    txn = _pay(loan, first.payment, "bob-1", when=when)
    _assert_first_settled_second_untouched(loan, txn, first, second, when)

    client.force_login(loan.borrower)
    page = client.get(reverse("servicing_portal:loan-detail", args=[loan.pk])).content.decode()
    assert f" · interest paid through {first.due_date:%b} {first.due_date.day}, {first.due_date.year}." in page
    assert 'data-testid="past-due"' not in page


def test_the_batch_posts_the_same_exact_on_time_payment_the_same_way(monkeypatch):
    loan = borrower_loan(consumer=True)
    first, second = _installments(loan)
    when = first.due_date + timedelta(days=3)
    set_today(monkeypatch, when)
    [result] = payments_post_many(
        requests=[PaymentRequest(loan.pk, first.payment, when, "ach", "file-1", "bob-batch-1")], actor=None
    )
    assert result.error is None
    _assert_first_settled_second_untouched(loan, result.transaction, first, second, when)


@pytest.mark.parametrize("strategy", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_each_installment_paid_on_its_due_date_pays_the_loan_off_exactly(monkeypatch, strategy):
    loan = borrower_loan(consumer=True)
    type(loan).objects.filter(pk=loan.pk).update(allocation_strategy=strategy)
    loan.refresh_from_db()
    for installment in Installment.objects.filter(loan=loan).order_by("number"):
        set_today(monkeypatch, installment.due_date)
        _pay(loan, installment.payment, f"due-{installment.number}", when=installment.due_date)
        loan.refresh_from_db()
        assert Installment.objects.filter(loan=loan, due_date__lte=installment.due_date, paid_on=None).count() == 0
    loan.refresh_from_db()
    assert (loan.principal_balance, loan.suspense_balance, loan.next_due_date) == (ZERO, ZERO, None)
    assert not Installment.objects.filter(loan=loan, paid_on=None).exists()
    _assert_books()
