"""Servicing demo data for `manage.py seed_demo`: the demo's funded loans (boarded by origination's funding) get
their first monthly payment posted, so the staff pages, the admin and the portal show a payment and its waterfall;
Alice also has a one-time bank payment waiting to settle. Idempotent: every write carries a fixed key."""

from __future__ import annotations

from django.utils import timezone

from lending.core.models import User
from servicing.models import Installment, LoanAccount
from servicing.services.ach import BankDetails, ach_payment_schedule
from servicing.services.payments import PaymentError, payment_post

DEMO_BANK = BankDetails("Alice Borrower", "011000015", "000123456789")  # a valid ABA checksum, a made-up account


def demo_seed(*, stdout) -> None:
    today = timezone.localdate()
    servicer = User.objects.filter(email="servicer@lending.test").first()
    posted = 0
    for loan in LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE).order_by("pk"):
        first = Installment.objects.filter(loan=loan, number=1).first()
        if first is None or today < loan.disbursement_date:
            continue
        try:
            payment_post(
                loan=loan,
                amount=first.payment,
                effective_date=today,
                method="ach",
                reference=f"DEMO-{loan.loan_number}-1",
                idempotency_key=f"demo:{loan.loan_number}:1",
                actor=servicer,
            )
            posted += 1
        except PaymentError as exc:
            stdout.write(f"Servicing demo: {loan.loan_number} took no payment ({exc}).")
    alice_loan = LoanAccount.objects.filter(borrower__email="alice@example.com", status="active").first()
    if alice_loan is not None and alice_loan.borrower is not None:
        ach_payment_schedule(
            loan=alice_loan,
            amount=alice_loan.regular_payment,
            scheduled_date=today,
            principal_only=False,
            bank=DEMO_BANK,
            actor=alice_loan.borrower,
            idempotency_key=f"demo:{alice_loan.loan_number}:ach",
        )
    stdout.write(f"Servicing demo: first payments on {posted} loans; a pending bank payment for Alice.")
