"""Interest follows the actual balance (issue 9, item 2): after a principal prepayment the installments to come
are priced on the lower balance, the payment stays level and the loan pays off sooner; reversing the prepayment
(or a replay over it) prices them back.

Figures, computed by hand for $200,000 at 6.5 % over 360 months (periodic rate 0.065 / 12, each interest rounded
half up once; level payment 1,264.14):
- installments 1-3 repay 180.81, 181.79, 182.77 of principal: 199,454.63 owed after installment 3;
- scheduled installment 4: 199,454.63 x 0.065 / 12 = 1,080.379... -> interest 1,080.38, principal 183.76;
  scheduled installment 360: interest 6.79, principal 1,252.77;
- $10,000 prepaid with payment 3 (on its due date): 189,454.63 owed when installment 4 starts:
  interest 1,026.21 (1,026.2125...), principal 237.93; then 188,977.48 ... installment 5: 1,024.92 and 239.22;
  the balance is repaid by installment 313 (interest 1.20, principal 221.33); 314-360 ask for nothing;
- $10,000 prepaid on March 15 instead: installment 4 (its period began March 1) keeps 1,080.38 / 183.76;
  installment 5 starts at 199,454.63 - 10,000 - 183.76 = 189,270.87: interest 1,025.22, principal 238.92.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from lending.core.models import AuditEvent
from servicing.models import Installment
from servicing.services.payments import payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from tests.servicing.factories import boarded_loan
from tests.servicing.factories_portal import pay_installments, set_today
from tests.servicing.test_payments import _assert_books, _pay

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
MARCH_1 = date(2027, 3, 1)  # installment 3's due date


def _pi(loan, number: int) -> tuple[Decimal, Decimal, Decimal]:
    """(principal, interest, payment less escrow) of one installment."""
    i = Installment.objects.get(loan=loan, number=number)
    return i.principal, i.interest, i.payment - i.escrow


def _scheduled_principal(loan, after: int) -> Decimal:
    return Installment.objects.filter(loan=loan, number__gt=after).aggregate(s=Sum("principal"))["s"]


@pytest.fixture
def loan(monkeypatch):
    loan = boarded_loan(amount=D("200000.00"))
    assert (loan.annual_rate, loan.term_periods, loan.regular_payment) == (D("6.5000"), 360, D("1264.14"))
    assert _pi(loan, 4) == (D("183.76"), D("1080.38"), D("1264.14"))
    pay_installments(monkeypatch, loan, 3)
    loan.refresh_from_db()
    assert loan.principal_balance == D("199454.63")
    return loan


def test_a_prepayment_with_payment_3_prices_the_rest_on_the_lower_balance(loan, monkeypatch):
    set_today(monkeypatch, MARCH_1)
    _pay(loan, "10000.00", "extra", when=MARCH_1, directive="principal_only")
    loan.refresh_from_db()
    assert loan.principal_balance == D("189454.63")
    assert _pi(loan, 3) == (D("182.77"), D("1081.37"), D("1264.14"))  # paid: untouched
    assert _pi(loan, 4) == (D("237.93"), D("1026.21"), D("1264.14"))
    assert _pi(loan, 5) == (D("239.22"), D("1024.92"), D("1264.14"))
    assert _pi(loan, 313) == (D("221.33"), D("1.20"), D("222.53"))
    assert _pi(loan, 314) == _pi(loan, 360) == (ZERO, ZERO, ZERO)
    assert _scheduled_principal(loan, 3) == D("189454.63")
    audit = AuditEvent.objects.filter(verb="payment.posted").latest("id")
    assert audit.after["installments_repriced"] == 357  # installments 4-360, in the payment's audit row

    # Installment 4 paid on its due date with its new amount: exactly its principal comes off.
    fourth = Installment.objects.get(loan=loan, number=4)
    set_today(monkeypatch, fourth.due_date)
    _pay(loan, fourth.payment, "p4", when=fourth.due_date)
    loan.refresh_from_db()
    assert loan.principal_balance == D("189216.70")
    assert loan.next_due_date == date(2027, 5, 1)
    _assert_books()


def test_reversing_the_prepayment_prices_the_schedule_back(loan, monkeypatch):
    set_today(monkeypatch, MARCH_1)
    extra = _pay(loan, "10000.00", "extra", when=MARCH_1, directive="principal_only")
    fourth = Installment.objects.get(loan=loan, number=4)
    set_today(monkeypatch, fourth.due_date)
    _pay(loan, fourth.payment, "p4", when=fourth.due_date)
    payment_reverse(transaction=extra, reason="NSF", actor=None)  # replays payment 4 on top
    loan.refresh_from_db()
    assert _pi(loan, 4) == (D("183.76"), D("1080.38"), D("1264.14"))
    assert _pi(loan, 360) == (D("1252.77"), D("6.79"), D("1259.56"))
    assert Installment.objects.get(loan=loan, number=4).paid_on == fourth.due_date  # 1,264.14 still pays it
    assert loan.principal_balance == D("199270.87") == _scheduled_principal(loan, 4)
    _assert_books()


def test_a_prepayment_mid_period_reprices_from_the_next_period(loan, monkeypatch):
    when = date(2027, 3, 15)
    set_today(monkeypatch, when)
    _pay(loan, "10000.00", "extra", when=when, directive="principal_only")
    assert _pi(loan, 4) == (D("183.76"), D("1080.38"), D("1264.14"))
    assert _pi(loan, 5) == (D("238.92"), D("1025.22"), D("1264.14"))
    loan.refresh_from_db()
    assert _scheduled_principal(loan, 3) == loan.principal_balance == D("189454.63")


def test_a_backdated_payment_replaying_the_prepayment_keeps_the_same_prices(loan, monkeypatch):
    when = date(2027, 3, 15)
    set_today(monkeypatch, when)
    _pay(loan, "10000.00", "extra", when=when, directive="principal_only")
    _pay(loan, "50.00", "backdated", when=date(2027, 3, 10))  # held in suspense; the prepayment replays
    assert _pi(loan, 5) == (D("238.92"), D("1025.22"), D("1264.14"))
    loan.refresh_from_db()
    assert _scheduled_principal(loan, 3) == loan.principal_balance
    _assert_books()


def test_a_batch_prepayment_prices_the_schedule_as_payment_post_does(loan, monkeypatch):
    set_today(monkeypatch, MARCH_1)
    [result] = payments_post_many(
        requests=[PaymentRequest(loan.pk, D("10000.00"), MARCH_1, "lockbox", "file", "extra", "principal_only")],
        actor=None,
    )
    assert result.error is None
    assert _pi(loan, 4) == (D("237.93"), D("1026.21"), D("1264.14"))
    assert _pi(loan, 314) == (ZERO, ZERO, ZERO)
