"""Portal test helpers: a boarded loan whose borrower holds the borrower role, a valid bank account, a fixed
"today" for both the ACH rules and payment posting, and payments posted on successive installments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group

from lending.core import roles
from servicing.models import Installment, LoanAccount, LoanTransaction
from servicing.services import ach, payments
from servicing.services.ach import BankDetails
from servicing.services.payments import payment_post
from tests.servicing.factories import boarded_loan

TODAY = date(2026, 12, 1)  # between boarding (2026-11-13) and the first installment (2027-01-01)
ROUTING = "011000015"  # a real ABA checksum (Federal Reserve Bank of Boston)
BANK = BankDetails(account_holder="Nora Quinn", routing_number=ROUTING, account_number="000123456789")
BANK_FORM = {
    "account_holder": "Nora Quinn",
    "routing_number": ROUTING,
    "account_number": "000123456789",
    "account_type": "checking",
}


def make_borrower(user):
    user.groups.add(Group.objects.get_or_create(name=roles.BORROWER)[0])
    user.__dict__.pop("_lending_roles", None)
    return user


def borrower_loan(**kwargs) -> LoanAccount:
    loan = boarded_loan(**kwargs)
    make_borrower(loan.borrower)
    return loan


def set_today(monkeypatch, day: date) -> None:
    monkeypatch.setattr(ach, "_today", lambda: day)
    monkeypatch.setattr(payments, "_today", lambda: day)


def ach_schedule(loan, amount="1000.00", key="k1", *, when=TODAY, principal_only=False, bank=BANK):
    """An ACH payment scheduled by the loan's borrower (``amount`` a string or a Decimal)."""
    return ach.ach_payment_schedule(
        loan=loan,
        amount=Decimal(amount) if isinstance(amount, str) else amount,
        scheduled_date=when,
        principal_only=principal_only,
        bank=bank,
        actor=loan.borrower,
        idempotency_key=key,
    )


def pay_installments(monkeypatch, loan: LoanAccount, count: int) -> list[LoanTransaction]:
    """Pay the first ``count`` installments in full, each on its due date (``today`` moved along)."""
    posted = []
    for installment in Installment.objects.filter(loan=loan).order_by("number")[:count]:
        monkeypatch.setattr(payments, "_today", lambda day=installment.due_date: day)
        posted.append(
            payment_post(
                loan=loan,
                amount=installment.payment,
                effective_date=installment.due_date,
                method="check",
                reference=f"chk-{installment.number}",
                idempotency_key=f"test-{loan.pk}-{installment.number}",
                actor=None,
            )
        )
    return posted


D = Decimal
