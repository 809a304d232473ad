"""The servicing demo: each demo loan has its first payment, Alice a pending bank payment; the books agree and
a second run adds nothing."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from origination.demo import _clock
from servicing import selectors
from servicing.demo_nightly import demo_nights
from servicing.models import (
    BorrowerDocument,
    ContactAttempt,
    EarlyInterventionNotice,
    EscrowAnalysis,
    EscrowDisbursement,
    Forbearance,
    LoanAccount,
    LoanFee,
    LoanModification,
    LoanTransaction,
    LossMitigationApplication,
    NightlyRun,
    PendingPayment,
    PromiseToPay,
    Statement,
)
from servicing.selectors import general_ledger

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: funding boards each loan as `make run` does


def test_demo_loans_have_a_payment_and_a_second_run_adds_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    loans = LoanAccount.objects.filter(status="active", application__isnull=False)
    assert loans.count() == 3
    assert "Servicing demo: first payments on 3 loans; a pending bank payment for Alice.\n" in out.getvalue()
    for loan in loans:
        txn = LoanTransaction.objects.get(loan=loan)
        assert txn.allocation_lines.current().filter(installment__number=1, bucket="interest").exists()
    assert PendingPayment.objects.filter(loan__borrower__email="alice@example.com", status="pending").count() == 1
    assert selectors.loan_balance_mismatches() == []
    # The trial balance report's figures: the daily totals equal the lines, and the ledger ties to the loans.
    assert selectors.trial_balance().rows == selectors.trial_balance_from_lines().rows
    assert selectors.trial_balance().nets_to_zero
    assert [row.difference for row in general_ledger.subledger_tieout()] == [Decimal("0.00")] * 6
    counts = (
        LoanTransaction.objects.count(),
        PendingPayment.objects.count(),
        EscrowDisbursement.objects.count(),
        Statement.objects.count(),
    )

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Servicing demo: nothing added (the demo payments are already there).\n" in again.getvalue()

    assert "Nightly demo: nothing to run (the demo nights are done).\n" in again.getvalue()
    assert "periodic statements made" not in again.getvalue()
    assert (
        LoanTransaction.objects.count(),
        PendingPayment.objects.count(),
        EscrowDisbursement.objects.count(),
        Statement.objects.count(),
    ) == counts


@pytest.mark.parametrize("today", [date(2026, 12, 7), date(2026, 12, 4)])  # a Monday and a Friday
def test_demo_nights_leave_a_loan_in_each_bucket_a_late_fee_a_return_and_escrow_work(today):
    with _clock(timezone.make_aware(datetime.combine(today, time(10, 0)))):
        out = StringIO()
        call_command("seed_demo", stdout=out)
    nights = demo_nights(today)
    assert list(NightlyRun.objects.order_by("business_date").values_list("business_date", "status")) == [
        (night, "completed") for night in nights
    ]
    assert nights[-1] == (date(2026, 12, 4) if today.weekday() == 0 else date(2026, 12, 3))
    buckets = dict(
        LoanAccount.objects.filter(loan_number__startswith="DEMO-").values_list("loan_number", "delinquency_bucket")
    )
    assert buckets == {
        "DEMO-CUR-001": "current",
        "DEMO-DQ-001": "1-29",
        "DEMO-DQ-030": "30-59",
        "DEMO-DQ-060": "60-89",
        "DEMO-DQ-090": "90-119",
        "DEMO-DQ-120": "120+",
    }
    fee = LoanFee.objects.get()
    assert (fee.loan.loan_number, fee.kind, fee.assessed_on) == ("DEMO-DQ-001", "late_fee", nights[-1])
    returned = PendingPayment.objects.get(status="returned")
    assert (returned.loan.loan_number, returned.return_code) == ("DEMO-DQ-001", "R01")
    paid = EscrowDisbursement.objects.get()
    assert (paid.loan.loan_number, paid.amount, paid.due_date) == ("DEMO-CUR-001", Decimal("2430.00"), nights[-1])
    assert EscrowAnalysis.objects.get().loan.loan_number == "DEMO-CUR-001"
    documents = BorrowerDocument.objects.values_list("loan__loan_number", "kind", "key")
    analysis = EscrowAnalysis.objects.get()
    assert ("DEMO-CUR-001", "escrow_annual", str(analysis.pk)) in documents
    alice = LoanAccount.objects.get(borrower__email="alice@example.com", application__isnull=False)
    assert (alice.loan_number, "escrow_initial", "boarding") in documents
    form = BorrowerDocument.objects.get(kind="form_1098")
    assert (form.loan.loan_number, form.key, form.loan.borrower.email) == (
        "DEMO1098-001",
        str(today.year - 1),
        "bob@example.com",
    )
    assert form.loan.delinquency_bucket == "current"
    assert selectors.loan_balance_mismatches() == []
    # Every demo loan has a periodic statement in the portal; those over 45 days late carry the delinquency block.
    statements = {s.loan.loan_number: s for s in Statement.objects.select_related("loan", "document")}
    assert set(statements) == set(LoanAccount.objects.filter(status="active").values_list("loan_number", flat=True))
    assert all(s.document.kind == "statement" for s in statements.values())
    late = {number for number, s in statements.items() if s.delinquent_since is not None}
    assert late == {"DEMO-DQ-060", "DEMO-DQ-090", "DEMO-DQ-120"}
    # The collections workbench: the late loans are the demo collector's; one has a call and an open promise.
    collectors = dict(
        LoanAccount.objects.filter(loan_number__startswith="DEMO-DQ-").values_list("loan_number", "collector__email")
    )
    assert set(collectors.values()) == {"collector@lending.test"}
    assert len(collectors) == 5
    call = ContactAttempt.objects.get()
    assert (call.loan.loan_number, call.channel, call.right_party_contact) == ("DEMO-DQ-060", "call", True)
    promise = PromiseToPay.objects.get()
    assert (promise.loan.loan_number, promise.status, promise.amount, promise.promised_date) == (
        "DEMO-DQ-060",
        "pending",
        promise.loan.regular_payment,
        today + timedelta(days=7),
    )
    # Reg X: the nights sent the early intervention notice of each loan 40 or more days late (DEMO-DQ-030 is 45 on
    # the last night, so at least 40 on the first), each with its letter; DEMO-DQ-120 has an application
    # acknowledged as incomplete, with three of the five documents still missing.
    notices = EarlyInterventionNotice.objects.select_related("loan", "document")
    assert sorted(n.loan.loan_number for n in notices) == ["DEMO-DQ-030", "DEMO-DQ-060", "DEMO-DQ-090", "DEMO-DQ-120"]
    assert all(n.document.kind == "early_intervention" for n in notices)
    application = LossMitigationApplication.objects.select_related("loan", "acknowledgment").get()
    assert (application.loan.loan_number, application.status, application.missing) == (
        "DEMO-DQ-120",
        "incomplete",
        ["income", "tax_returns", "bank_statements"],
    )
    assert application.acknowledgment.kind == "loss_mit_ack"
    # Plans: a forbearance and a modification in its trial period, with its agreement in the portal.
    forbearance = Forbearance.objects.get()
    assert (forbearance.loan.loan_number, forbearance.status, forbearance.months) == ("DEMO-DQ-030", "active", 3)
    modification = LoanModification.objects.get()
    assert (modification.loan.loan_number, modification.status) == ("DEMO-DQ-090", "trial")
    assert modification.new_rate == modification.loan.annual_rate - Decimal("1.5")
    assert modification.agreement.kind == "modification_agreement"
