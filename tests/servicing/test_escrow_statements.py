"""Escrow account statements: the initial one at boarding (Reg X 1024.17(g)) and the annual one with each analysis
(1024.17(i)), read back from the stored PDF.

The loan (tests.servicing.nightly.escrow_helpers): first payment 2027-01-01, property tax $4,800.00 a year in two
halves (2027-06-01, 2027-12-01) and insurance $1,500.00 (2027-12-01): $6,300.00 a year, $525.00 a month, a cushion
of two months ($1,050.00) and an initial deposit of $1,050.00. From 1,050.00 the balance runs +525.00 a month:
1,575.00, 2,100.00, 2,625.00, 3,150.00, 3,675.00; June 3,675.00 + 525.00 - 2,400.00 = 1,800.00; then 2,325.00,
2,850.00, 3,375.00, 3,900.00, 4,425.00; December 4,425.00 + 525.00 - 3,900.00 = 1,050.00, the lowest (the cushion).
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lending.core.templatetags.money import format_money
from servicing.models import BorrowerDocument, EscrowAnalysis
from servicing.services.escrow_statements import annual_statement, escrow_annual_statement_make
from servicing.services.onboarding import loan_onboard
from tests.servicing.factories import funded_application
from tests.servicing.html import shows_money
from tests.servicing.nightly.escrow_helpers import D, escrow_received, escrowed_loan, installments_paid, run

pytestmark = pytest.mark.django_db
ANALYSIS = date(2027, 12, 2)
PAID_OUT = D("6300.00")


def _text(document: BorrowerDocument) -> str:
    with document.file.open("rb") as stored:
        pages = PdfReader(io.BytesIO(stored.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())  # lines wrap where the layout does


def _initial(loan) -> BorrowerDocument:
    return BorrowerDocument.objects.get(loan=loan, kind=BorrowerDocument.Kind.ESCROW_INITIAL, key="boarding")


def test_boarding_stores_the_initial_statement_on_commit_with_the_projected_figures(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        loan = loan_onboard(application=funded_application(), actor=None)
    document = _initial(loan)
    assert (document.title, document.document_date, document.version) == (
        "Initial escrow account statement",
        date(2026, 11, 13),
        1,
    )
    text = _text(document)
    for expected in (
        "Monthly escrow payment $525.00",
        # Installment 1: principal 271.20 and interest 2,600.06 (odd days) = 2,871.26, plus 525.00 = 3,396.26.
        "Your monthly payment: principal and interest $2,871.26 plus escrow $3,396.26",
        "Anticipated disbursements for the year $6,300.00",
        "Cushion (at most one-sixth of the year's disbursements) $1,050.00",
        "Initial deposit paid at closing $1,050.00",
        "Lowest projected balance $1,050.00 (Dec 2027)",
        "Jun 1, 2027 Property tax, installment 1 of 2 $2,400.00",
        "Dec 1, 2027 Homeowner's insurance premium $1,500.00",
        "1 Jan 1, 2027 $525.00 $0.00 $1,575.00",
        "5 May 1, 2027 $525.00 $0.00 $3,675.00",
        "6 Jun 1, 2027 $525.00 $2,400.00 Property tax, installment 1 of 2 $1,800.00",
        "11 Nov 1, 2027 $525.00 $0.00 $4,425.00",
        "12 Dec 1, 2027 $525.00 $3,900.00",
    ):
        assert expected in text, expected
    assert text.count("$1,050.00") >= 4


def test_the_initial_statement_task_run_again_stores_nothing_new(django_capture_on_commit_callbacks):
    from servicing import tasks

    with django_capture_on_commit_callbacks(execute=True):
        loan = loan_onboard(application=funded_application(), actor=None)
    first = _initial(loan)
    assert tasks.escrow_initial_statement(loan.pk) is True  # a retried task finds the stored statement
    assert list(BorrowerDocument.objects.filter(loan=loan)) == [first]


def test_a_loan_without_escrow_gets_no_initial_statement(django_capture_on_commit_callbacks):
    from tests.origination.factories import ConsumerProductFactory

    with django_capture_on_commit_callbacks(execute=True):
        loan = loan_onboard(
            application=funded_application(product=ConsumerProductFactory(), amount=D("12000.00")), actor=None
        )
    assert not BorrowerDocument.objects.filter(loan=loan).exists()


def _analysed(balance, django_capture_on_commit_callbacks):
    """The analysis of 2027-12-02 with ``balance`` in escrow after the year's disbursements, run by the nightly step
    with its on-commit task, as the runner does."""
    loan = escrowed_loan()
    installments_paid(loan, 12)
    escrow_received(loan, balance + PAID_OUT - loan.escrow_balance)
    with django_capture_on_commit_callbacks(execute=True):
        run(ANALYSIS)
    analysis = EscrowAnalysis.objects.get(loan=loan)
    document = BorrowerDocument.objects.get(loan=loan, kind=BorrowerDocument.Kind.ESCROW_ANNUAL)
    assert (document.key, document.document_date) == (str(analysis.pk), ANALYSIS)
    return analysis, _text(document)


def _common_figures(analysis: EscrowAnalysis, text: str) -> None:
    """Every figure of the stored analysis is on the statement as stored."""
    money = format_money
    for label, value in (
        ("Escrow balance on the analysis date", analysis.balance_on_analysis_date),
        ("Projected balance when the new year starts", analysis.current_balance),
        ("Anticipated disbursements for the coming year", analysis.projected_disbursements),
        ("Cushion (at most one-sixth of the year's disbursements)", analysis.cushion),
        ("Required starting balance", analysis.target_balance),
        ("Escrow payment for the year's disbursements (one-twelfth)", analysis.base_monthly_payment),
    ):
        assert f"{label} {money(value)}" in text, label
    assert f"Escrow payment {money(analysis.previous_monthly_payment)} {money(analysis.new_monthly_payment)}" in text
    # The coming year from the target 1,050.00 with 525.00 a month is the first year's projection again.
    assert shows_money(text, "Required starting balance $1,050.00")
    assert shows_money(text, "6 Jun 1, 2028 $525.00 $2,400.00")
    assert shows_money(text, "12 Dec 1, 2028 $525.00 $3,900.00")
    # Last year: 525.00 billed each month (6,300.00), 6,300.00 projected out (initial statement), all three
    # disbursements paid on the night of 2027-12-02 (the loan was boarded without a night having run).
    assert shows_money(text, "Total $6,300.00 $0.00 $6,300.00 $6,300.00")


def test_the_annual_statement_of_a_surplus_shows_the_refund(django_capture_on_commit_callbacks):
    analysis, text = _analysed(D("1150.00"), django_capture_on_commit_callbacks)
    # 1,150.00 - 1,050.00 = 100.00 >= 50.00: refunded on the analysis night.
    assert (analysis.kind, analysis.surplus, analysis.new_monthly_payment) == ("surplus", D("100.00"), D("525.00"))
    _common_figures(analysis, text)
    assert shows_money(text, "Surplus $100.00")
    assert shows_money(text, "we refunded $100.00 on December 2, 2027")
    statement = annual_statement(analysis)
    # P&I of installment 13 plus escrow, before and after.
    assert statement.new_total_payment == statement.principal_interest + D("525.00")
    assert shows_money(text, f"Total monthly payment {format_money(statement.previous_total_payment)}")


def test_the_annual_statement_of_a_shortage_shows_its_spread(django_capture_on_commit_callbacks):
    analysis, text = _analysed(D("1000.00"), django_capture_on_commit_callbacks)
    # 1,050.00 - 1,000.00 = 50.00 over 12 months: 4.16 a month (the 12th 4.24); new payment 529.16.
    assert (analysis.kind, analysis.shortage, analysis.new_monthly_payment) == ("shortage", D("50.00"), D("529.16"))
    _common_figures(analysis, text)
    assert shows_money(text, "Shortage $50.00")
    assert shows_money(text, "shortage of $50.00: it is spread over 12 monthly payments of $4.16")
    assert shows_money(text, "Escrow payment $525.00 $529.16")


def test_the_annual_statement_of_a_deficiency_shows_both_spreads(django_capture_on_commit_callbacks):
    analysis, text = _analysed(D("-200.00"), django_capture_on_commit_callbacks)
    # Deficiency 200.00 / 12 = 16.66; shortage 1,050.00 / 12 = 87.50; new payment 525.00 + 87.50 + 16.66 = 629.16.
    assert (analysis.kind, analysis.deficiency, analysis.shortage) == ("deficiency", D("200.00"), D("1050.00"))
    _common_figures(analysis, text)
    assert shows_money(text, "Deficiency $200.00")
    assert shows_money(
        text,
        "deficiency of $200.00 (the servicer advanced money for you): it is spread over 12 monthly payments of $16.66",
    )
    assert shows_money(text, "shortage of $1,050.00: it is spread over 12 monthly payments of $87.50")
    assert shows_money(text, "Escrow payment $525.00 $629.16")


def test_the_annual_statement_is_stored_once(django_capture_on_commit_callbacks):
    analysis, _ = _analysed(D("1150.00"), django_capture_on_commit_callbacks)
    first = BorrowerDocument.objects.get(kind=BorrowerDocument.Kind.ESCROW_ANNUAL)
    assert escrow_annual_statement_make(analysis=analysis, actor=None) == first
    assert BorrowerDocument.objects.filter(kind=BorrowerDocument.Kind.ESCROW_ANNUAL).count() == 1


def test_a_balanced_year_paid_by_the_borrower_shows_the_actual_payments_month_by_month(
    monkeypatch, django_capture_on_commit_callbacks
):
    from servicing.models import Installment
    from servicing.services import payments

    monkeypatch.setattr(payments, "_today", lambda: ANALYSIS)
    loan = escrowed_loan()
    for installment in Installment.objects.filter(loan=loan, number__lte=12).order_by("number"):
        payments.payment_post(
            loan=loan,
            amount=installment.payment,
            effective_date=installment.due_date,
            method="check",
            reference=f"c{installment.number}",
            idempotency_key=f"c{installment.number}",
            actor=None,
        )
    with django_capture_on_commit_callbacks(execute=True):
        run(ANALYSIS)
    analysis = EscrowAnalysis.objects.get(loan=loan)
    # 1,050.00 deposit + 12 x 525.00 paid in - 6,300.00 paid out on the night = 1,050.00: the target, balanced.
    assert (analysis.kind, analysis.action, analysis.current_balance) == ("balanced", "none", D("1050.00"))
    text = _text(BorrowerDocument.objects.get(loan=loan, kind=BorrowerDocument.Kind.ESCROW_ANNUAL))
    assert "Your escrow account is balanced: there is no surplus, shortage or deficiency." in text
    assert shows_money(text, "Start Balance at the start of the year $1,050.00")
    # January: 525.00 projected and paid in; nothing paid out; 1,050.00 + 525.00 = 1,575.00.
    assert shows_money(text, "Jan 2027 $525.00 $525.00 $0.00 $0.00 $1,575.00")
    # June: the tax half was projected (2,400.00) but paid on the analysis night: 1,050.00 + 6 x 525.00 = 4,200.00.
    assert shows_money(text, "Jun 2027 $525.00 $525.00 $2,400.00 $0.00 $4,200.00")
    # December: 7,350.00 - 6,300.00 paid out on the 2nd = 1,050.00.
    assert (
        "Dec 2027 $525.00 $525.00 $3,900.00 $6,300.00 Property tax; Property tax; Homeowner's insurance premium "
        "$1,050.00"
    ) in text
    assert shows_money(text, "Total $6,300.00 $6,300.00 $6,300.00 $6,300.00")
    assert "Last year's activity, Jan 1, 2027 to Dec 31, 2027" in text
    # 2,400.00 x 2 of tax and 1,500.00 of insurance; 12 x 525.00 = 6,300.00 in.
    assert (
        "Paid from your escrow account last year: Homeowner's insurance $1,500.00; Property tax $4,800.00. "
        "Paid into it from your payments: $6,300.00."
    ) in text


def test_the_statement_tasks_have_a_queue_of_their_own():
    # So a night's thousands of annual statements never queue ahead of the close of business's next step.
    from lending.celery import app

    for name in ("servicing.escrow_initial_statement", "servicing.escrow_annual_statements"):
        assert app.amqp.router.route({}, name)["queue"].name == "documents"
    assert app.amqp.router.route({}, "servicing.nightly_chunk")["queue"].name == "celery"
