"""Boarding funded loans: origination's loan_funded boards exactly one loan account whose schedule and escrow are
the ones the borrower was disclosed, with the disbursement posted; boarding again posts nothing."""

import logging
from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from lending.finance.amortization import build_schedule
from origination.models import Application, Funding
from origination.services.closing import escrow_statement
from origination.services.figures import loan_figures
from origination.signals import loan_funded
from servicing.models import EscrowItem, Installment, JournalEntry, JournalLine, LoanAccount
from servicing.services.onboarding import OnboardingError, loan_onboard
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory
from tests.origination.factories_compliance import ProductFeeFactory
from tests.servicing.factories import (
    CLOSING_DATE,
    FIRST_PAYMENT,
    boarded_loan,
    funded_application,
    funded_through_origination,
)

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _journal(loan):
    return [
        (entry.kind, [(line.account.code, line.debit, line.credit) for line in entry.lines.order_by("id")])
        for entry in loan.journal_entries.order_by("id")
    ]


def test_funding_through_origination_boards_one_loan_as_disclosed(django_capture_on_commit_callbacks):
    product = LoanProductFactory()
    ProductFeeFactory(product=product, name="Underwriting", amount=D("995.00"))
    with django_capture_on_commit_callbacks(execute=True):
        application, funding = funded_through_origination(product=product)

    loan = LoanAccount.objects.get()
    assert loan.application_id == application.pk
    assert loan.borrower_id == application.applicant_id
    assert loan.loan_number == f"L-{application.number.removeprefix('A-')}"
    figures = loan_figures(
        application=application,
        advance_date=application.closing_date,
        first_payment_date=application.first_payment_date,
    )
    installments = list(loan.installments.order_by("number"))
    assert len(installments) == 360
    assert sum(i.principal for i in installments) == funding.loan_amount == loan.principal == D("300000.00")
    # The first installment is the disclosed first payment (odd days' interest included); the rest the payment.
    assert installments[0].principal + installments[0].interest == figures.first_payment
    assert installments[1].principal + installments[1].interest == figures.payment == loan.regular_payment
    assert [(i.due_date, i.principal, i.interest) for i in installments] == [
        (row.due_date, row.principal, row.interest) for row in figures.schedule.rows
    ]
    assert loan.maturity_date == figures.maturity_date
    # Escrow: the initial escrow disclosure's figures.
    statement = escrow_statement(application, application.first_payment_date)
    projection = statement.projection
    assert (loan.escrow_monthly_payment, loan.escrow_initial_deposit, loan.escrow_cushion) == (
        projection.monthly_payment,
        projection.initial_deposit,
        projection.cushion,
    )
    assert [i.escrow for i in installments[:12]] == list(projection.payments)
    assert all(i.payment == i.principal + i.interest + i.escrow for i in installments)
    assert sum(item.annual_amount for item in loan.escrow_items.all()) == projection.annual_disbursements
    # The disbursement: the withheld prepaid finance charges are fee income; the escrow deposit came in at closing.
    withheld = funding.loan_amount - funding.disbursed_amount
    assert withheld == D("3000.00") + D("995.00")
    assert _journal(loan) == [
        (
            "disbursement",
            [
                ("loans_receivable", D("300000.00"), ZERO),
                ("cash", ZERO, funding.disbursed_amount),
                ("fee_income", ZERO, withheld),
            ],
        ),
        (
            "escrow_deposit",
            [("cash", projection.initial_deposit, ZERO), ("escrow_liability", ZERO, projection.initial_deposit)],
        ),
    ]
    assert set(loan.journal_entries.values_list("effective_date", flat=True)) == {funding.funded_on}
    assert (loan.principal_balance, loan.escrow_balance, loan.interest_due, loan.fees_due, loan.suspense_balance) == (
        D("300000.00"),
        projection.initial_deposit,
        ZERO,
        ZERO,
        ZERO,
    )
    assert (loan.interest_paid_through, loan.next_due_date) == (CLOSING_DATE, FIRST_PAYMENT)
    event = AuditEvent.objects.get(verb="loan.onboarded")
    assert event.after["application"] == application.number
    assert event.after["first_payment"] == str(figures.first_payment)


def test_boarding_again_returns_the_same_account_and_posts_nothing():
    application = funded_application()
    actor = user_with_role(roles.SERVICER)
    loan = loan_onboard(application=application, actor=actor)
    counts = (
        LoanAccount.objects.count(),
        Installment.objects.count(),
        EscrowItem.objects.count(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        AuditEvent.objects.count(),
    )
    again = loan_onboard(application=application, actor=actor)
    loan_funded.send(sender=Application, application=application, funding=application.funding, actor=actor)
    assert again.pk == loan.pk
    assert counts == (
        LoanAccount.objects.count(),
        Installment.objects.count(),
        EscrowItem.objects.count(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        AuditEvent.objects.count(),
    )
    assert counts[0] == 1


def test_the_signal_boards_a_loan_from_application_and_funding_rows():
    application = funded_application(product=ConsumerProductFactory(), amount=D("15000.00"))
    loan_funded.send(
        sender=Application, application=application, funding=application.funding, actor=user_with_role(roles.CLOSER)
    )
    loan = LoanAccount.objects.get(application=application)
    assert loan.term_periods == 36
    assert loan.day_count == "actual/365"
    assert loan.allocation_strategy == "fees_interest_principal"
    assert not loan.escrow_items.exists()
    assert loan.escrow_initial_deposit == loan.escrow_monthly_payment == loan.escrow_balance == ZERO
    assert [k for k, _ in _journal(loan)] == ["disbursement"]
    assert sum(i.principal for i in loan.installments.all()) == D("15000.00")
    assert not loan.installments.exclude(escrow=ZERO).exists()


def test_booked_terms_are_a_snapshot_product_edits_do_not_reach_the_loan():
    loan = boarded_loan()
    product = loan.application.product
    product.annual_rate = D("9.0000")
    product.term_periods = 180
    product.late_fee_percent = D("6.0000")
    product.grace_days = 10
    product.save()
    loan.refresh_from_db()
    assert (loan.annual_rate, loan.term_periods, loan.late_fee_percent, loan.grace_days) == (
        D("6.5000"),
        360,
        D("5.0000"),
        15,
    )
    # Rebuilding from the snapshot gives the stored schedule.
    rows = build_schedule(loan.loan_terms()).rows
    assert [(r.number, r.principal, r.interest) for r in rows] == list(
        loan.installments.order_by("number").values_list("number", "principal", "interest")
    )


def test_a_loan_funded_after_closing_books_the_disbursement_on_the_funding_date():
    application = funded_application(funded_on=date(2026, 11, 18))
    loan = loan_onboard(application=application, actor=None)
    assert loan.disbursement_date == CLOSING_DATE  # interest runs from consummation, as the note priced it
    assert set(loan.journal_entries.values_list("effective_date", flat=True)) == {date(2026, 11, 18)}
    assert loan.boarded_by is None


def test_only_funded_applications_are_boarded():
    application = funded_application()
    Application.objects.filter(pk=application.pk).update(status="closed")
    with pytest.raises(OnboardingError, match="not funded"):
        loan_onboard(application=application, actor=None)
    Funding.objects.filter(application=application).delete()
    Application.objects.filter(pk=application.pk).update(status="funded")
    with pytest.raises(OnboardingError, match="has not been funded"):
        loan_onboard(application=application, actor=None)
    assert not LoanAccount.objects.exists()
    assert not JournalEntry.objects.exists()


def test_escrow_required_without_anything_to_escrow_is_refused():
    application = funded_application()
    application.subject_property.annual_property_tax = ZERO
    application.subject_property.annual_insurance = ZERO
    application.subject_property.save()
    with pytest.raises(OnboardingError, match=r"no property tax or insurance to escrow"):
        loan_onboard(application=application, actor=None)
    assert not LoanAccount.objects.exists()


def test_a_failed_boarding_is_logged_not_raised_into_the_funding_and_nothing_is_left_half_done(caplog):
    application = funded_application()
    Application.objects.filter(pk=application.pk).update(first_payment_date=None)
    application.refresh_from_db()
    with caplog.at_level(logging.ERROR, logger="servicing.receivers"):
        loan_funded.send(sender=Application, application=application, funding=application.funding, actor=None)
    assert "Boarding funded application" in caplog.text
    assert not LoanAccount.objects.exists()
    assert not JournalEntry.objects.exists()


def test_the_returned_payment_fee_is_booked_from_the_signed_terms_and_product_edits_do_not_reach_it(monkeypatch):
    from servicing.services import onboarding

    loan = boarded_loan(product=LoanProductFactory(returned_payment_fee=D("25.00")))
    assert loan.returned_payment_fee == D("25.00")
    product = loan.application.product
    product.returned_payment_fee = D("40.00")
    product.save()
    loan.refresh_from_db()
    assert loan.returned_payment_fee == D("25.00")
    # Terms signed before the fee existed carry no such key: the loan books none.
    signed = onboarding.signed_terms
    monkeypatch.setattr(
        onboarding, "signed_terms", lambda app: {k: v for k, v in signed(app).items() if k != "returned_payment_fee"}
    )
    older = boarded_loan(product=LoanProductFactory(returned_payment_fee=D("25.00")))
    assert older.returned_payment_fee == D("0.00")
