"""Servicing demo data for `manage.py seed_demo`: the demo's funded loans (boarded by origination's funding) get
their first monthly payment posted, so the staff pages, the admin and the portal show a payment and its waterfall;
Alice also has a one-time bank payment waiting to settle. Idempotent: every write carries a fixed key."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from lending.core.models import User
from servicing.demo_metro2 import metro2_demo_seed
from servicing.demo_nightly import nightly_demo_seed
from servicing.models import Installment, LoanAccount, LoanTransaction, PendingPayment
from servicing.services.ach import BankDetails, ach_payment_schedule
from servicing.services.payments import PaymentError, payment_post
from servicing.services.portfolio_months import portfolio_months_refresh
from servicing.services.roll_rates import roll_rates_keep

DEMO_BANK = BankDetails("Alice Borrower", "011000015", "000123456789")  # a valid ABA checksum, a made-up account


def demo_seed(*, stdout) -> None:
    today = timezone.localdate()
    servicer = User.objects.filter(email="servicer@lending.test").first()
    posted = 0
    for loan in LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE).order_by("pk"):
        first = Installment.objects.filter(loan=loan, number=1).first()
        key = f"demo:{loan.loan_number}:1"
        # A second run replays the same key and posts nothing: count only what this run adds.
        if first is None or today < loan.disbursement_date or LoanTransaction.objects.filter(idempotency_key=key):
            continue
        try:
            payment_post(
                loan=loan,
                amount=first.payment,
                effective_date=today,
                method="ach",
                reference=f"DEMO-{loan.loan_number}-1",
                idempotency_key=key,
                actor=servicer,
            )
            posted += 1
        except PaymentError as exc:
            stdout.write(f"Servicing demo: {loan.loan_number} took no payment ({exc}).")
    alice_loan = LoanAccount.objects.filter(borrower__email="alice@example.com", status="active").first()
    pending = 0
    if (
        alice_loan is not None
        and alice_loan.borrower is not None
        and not PendingPayment.objects.filter(idempotency_key=f"demo:{alice_loan.loan_number}:ach")
    ):
        ach_payment_schedule(
            loan=alice_loan,
            amount=alice_loan.regular_payment,
            scheduled_date=today,
            principal_only=False,
            bank=DEMO_BANK,
            actor=alice_loan.borrower,
            idempotency_key=f"demo:{alice_loan.loan_number}:ach",
        )
        pending = 1
    stdout.write(f"Servicing demo: {_added(posted, pending)}.")
    nights = nightly_demo_seed(today=today, actor=servicer, stdout=stdout)
    metro2_demo_seed(month=nights[-1], stdout=stdout)  # the month of the last close of business
    _curtailment_demo_seed(today=today, actor=servicer, stdout=stdout)
    # The reports' monthly figures (portfolio, payment history), rebuilt whole: the demo book is small.
    months = portfolio_months_refresh(actor=servicer)  # the months posted since the last refresh: all, the first time
    stdout.write(f"Reports demo: monthly portfolio figures for {len(months)} months.")
    roll_rates_keep(today=today, actor=servicer)  # the collections dashboard's closed months (PostgreSQL)


def _curtailment_demo_seed(*, today, actor: User | None, stdout) -> None:
    """A $2,000.00 principal-only payment: the portfolio report's prepayment speed (SMM/CPR) has a month to show."""
    key = "demo:reports:curtailment"
    # A transferred loan that is current and has paid (the year-end demo's): the funded demo loans keep one payment.
    paying = LoanAccount.objects.filter(
        status="active", application__isnull=True, days_past_due=0, transactions__isnull=False
    )
    loan = paying.order_by("pk").first()
    if loan is None or LoanTransaction.objects.filter(idempotency_key=key).exists():
        return
    try:
        payment_post(
            loan=loan,
            amount=Decimal("2000.00"),
            effective_date=today,
            method="check",
            reference="DEMO-CURTAILMENT",
            idempotency_key=key,
            actor=actor,
            directive=LoanTransaction.Directive.PRINCIPAL_ONLY,
        )
    except PaymentError as exc:
        stdout.write(f"Reports demo: no curtailment on {loan.loan_number} ({exc}).")


def _added(posted: int, pending: int) -> str:
    if not posted and not pending:
        return "nothing added (the demo payments are already there)"
    parts = [f"first payments on {posted} loans"] if posted else []
    if pending:
        parts.append("a pending bank payment for Alice")
    return "; ".join(parts)
