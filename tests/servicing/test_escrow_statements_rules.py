"""Escrow account statements' rules, read from the figures (``annual_statement``, ``initial_statement``) rather
than the PDF, and what making one stores.

The loan (tests.servicing.nightly.escrow_helpers): first payment 2027-01-01, $525.00 of escrow billed each month,
property tax $2,400.00 on 2027-06-01 and 2027-12-01 and insurance $1,500.00 on 2027-12-01, an initial deposit of
$1,050.00 credited at boarding (2026-11-13). Its first annual analysis (2027-12-02) starts the year 2028-01-01, so
the statement's past year is 2027-01-01 to 2027-12-31.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfWriter

from lending.core import roles
from lending.finance.escrow import EscrowDisbursement as Disbursement
from servicing.models import BorrowerDocument, EscrowAnalysis, EscrowDisbursement, EscrowItem, Installment
from servicing.models.ledger import CASH, ESCROW_LIABILITY
from servicing.services import escrow_statements
from servicing.services.escrow_statements import (
    ActivityMonth,
    annual_statement,
    escrow_annual_statement_make,
    escrow_annual_statements_make,
    escrow_initial_statement_make,
    initial_statement,
)
from servicing.services.ledger import journal_post
from servicing.services.payments import payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import pay_installments
from tests.servicing.nightly.escrow_helpers import ZERO, D, escrow_received, escrowed_loan, run

pytestmark = pytest.mark.django_db

NEXT_YEAR = [
    ["2028-06-01", "2400.00", "Property tax"],
    ["2028-12-01", "2400.00", "Property tax"],
    ["2028-12-01", "1500.00", "Homeowner's insurance premium"],
]


def analysis_row(loan, *, analysis_date=date(2027, 12, 2), run_on=None, year_start=date(2028, 1, 1), **fields):
    """An analysis as the escrow step stores one, its figures given (balanced at $525.00 a month by default)."""
    values = {
        "effective_installment": Installment.objects.get(loan=loan, due_date=year_start),
        "balance_on_analysis_date": D("1050.00"),
        "current_balance": D("1050.00"),
        "projected_disbursements": D("6300.00"),
        "disbursement_detail": NEXT_YEAR,
        "cushion": D("1050.00"),
        "target_balance": D("1050.00"),
        "previous_monthly_payment": D("525.00"),
        "base_monthly_payment": D("525.00"),
        "new_monthly_payment": D("525.00"),
        "kind": EscrowAnalysis.Kind.BALANCED,
        "action": EscrowAnalysis.Action.NONE,
    }
    return EscrowAnalysis.objects.create(
        loan=loan,
        analysis_date=analysis_date,
        run_on=run_on or analysis_date,
        year_start=year_start,
        **(values | fields),
    )


def escrow_paid_out(loan, amount, when):
    """Escrow paid out to someone (Dr escrow / Cr cash), as a refund or a disbursement would be."""
    journal_post(
        actor=None,
        loan=loan,
        effective_date=when,
        kind="adjustment",
        memo="Escrow paid out (test)",
        lines=[(ESCROW_LIABILITY, amount, ZERO), (CASH, ZERO, amount)],
    )


def month(n, start, projected_in, paid_in, projected_out, paid_out, balance, descriptions=()):
    return ActivityMonth(n, start, D(projected_in), paid_in, projected_out, paid_out, tuple(descriptions), balance)


def started(n, start, paid_in, projected_out, paid_out, balance, descriptions=()):
    """A month that had started by the analysis: every figure known, $525.00 billed."""
    return month(n, start, "525.00", D(paid_in), D(projected_out), D(paid_out), D(balance), descriptions)


# --- the past year, month by month ---------------------------------------------------------------------------------


def test_the_past_year_counts_posted_payments_escrow_disbursements_paid_and_every_movement_of_the_balance(monkeypatch):
    loan = escrowed_loan()
    other = escrowed_loan()  # its payments, disbursements and balance are its own
    escrow_paid_out(loan, D("100.00"), date(2026, 12, 15))  # before the year: the opening balance is 950.00
    paid = pay_installments(monkeypatch, loan, 3)  # Jan, Feb, Mar: 525.00 of escrow each
    payment_reverse(transaction=paid[2], reason="NSF", actor=None)  # March's returned: it paid nothing in
    pay_installments(monkeypatch, other, 2)
    escrow_received(loan, D("2000.00"), date(2027, 5, 1))  # collected outside a payment: the balance, not paid in
    run(date(2027, 6, 1))  # the first tax half, 2,400.00, paid from escrow
    run(date(2027, 12, 1))  # the second, 2,400.00, and the insurance, 1,500.00
    statement = annual_statement(analysis_row(loan))
    assert (statement.history_start, statement.history_end, statement.history_opening_balance) == (
        date(2027, 1, 1),
        date(2027, 12, 31),
        D("950.00"),
    )
    # Projected out: the initial statement's (the first year of a loan boarded from origination).
    assert statement.history == (
        started(1, date(2027, 1, 1), "525.00", "0.00", "0.00", "1475.00"),
        started(2, date(2027, 2, 1), "525.00", "0.00", "0.00", "2000.00"),
        started(3, date(2027, 3, 1), "0.00", "0.00", "0.00", "2000.00"),
        started(4, date(2027, 4, 1), "0.00", "0.00", "0.00", "2000.00"),
        started(5, date(2027, 5, 1), "0.00", "0.00", "0.00", "4000.00"),
        started(6, date(2027, 6, 1), "0.00", "2400.00", "2400.00", "1600.00", ["Property tax"]),
        started(7, date(2027, 7, 1), "0.00", "0.00", "0.00", "1600.00"),
        started(8, date(2027, 8, 1), "0.00", "0.00", "0.00", "1600.00"),
        started(9, date(2027, 9, 1), "0.00", "0.00", "0.00", "1600.00"),
        started(10, date(2027, 10, 1), "0.00", "0.00", "0.00", "1600.00"),
        started(11, date(2027, 11, 1), "0.00", "0.00", "0.00", "1600.00"),
        # 1,600.00 - 3,900.00: the servicer advanced 2,300.00.
        started(
            12,
            date(2027, 12, 1),
            "0.00",
            "3900.00",
            "3900.00",
            "-2300.00",
            ["Property tax", "Homeowner's insurance premium"],
        ),
    )
    assert statement.totals == {
        "projected_payment": D("6300.00"),
        "actual_payment": D("1050.00"),
        "projected_disbursements": D("6300.00"),
        "actual_disbursements": D("6300.00"),
    }
    assert statement.paid_out_by_kind == (("Homeowner's insurance", D("1500.00")), ("Property tax", D("4800.00")))


def test_a_month_starting_on_the_run_date_has_started_and_a_later_one_shows_no_actual_figures():
    loan = escrowed_loan()
    on_the_day = annual_statement(analysis_row(loan, analysis_date=date(2027, 12, 1)))
    assert on_the_day.history[11] == started(12, date(2027, 12, 1), "0.00", "3900.00", "0.00", "1050.00")
    before = annual_statement(analysis_row(loan, analysis_date=date(2027, 11, 30)))
    assert before.history[10] == started(11, date(2027, 11, 1), "0.00", "0.00", "0.00", "1050.00")
    assert before.history[11] == month(12, date(2027, 12, 1), "525.00", None, D("3900.00"), None, None)
    # The totals add the figures known: eleven months of actuals.
    assert before.totals == {
        "projected_payment": D("6300.00"),
        "actual_payment": D("0.00"),
        "projected_disbursements": D("6300.00"),
        "actual_disbursements": D("0.00"),
    }


def test_the_projection_of_the_past_year_is_its_own_analysis_latest_on_file():
    loan, other = escrowed_loan(), escrowed_loan()
    analysis_row(  # an earlier analysis of the same year, superseded
        loan,
        analysis_date=date(2026, 11, 20),
        year_start=date(2027, 1, 1),
        disbursement_detail=[["2027-03-01", "9.99", "Old"]],
    )
    analysis_row(
        loan,
        analysis_date=date(2026, 12, 2),
        year_start=date(2027, 1, 1),
        disbursement_detail=[["2027-06-01", "2500.00", "Property tax"], ["2027-12-01", "1600.00", "Insurance"]],
    )
    analysis_row(  # another loan's analysis of that year, later still
        other,
        analysis_date=date(2026, 12, 3),
        year_start=date(2027, 1, 1),
        disbursement_detail=[["2027-04-01", "7.77", "X"]],
    )
    analysed = analysis_row(loan)
    analysis_row(  # the loan's analysis of another year, later still
        loan,
        analysis_date=date(2028, 12, 2),
        year_start=date(2029, 1, 1),
        disbursement_detail=[["2028-02-01", "5.55", "Y"]],
    )
    statement = annual_statement(analysed)
    projected = [m.projected_disbursements for m in statement.history]
    assert projected == [ZERO] * 5 + [D("2500.00")] + [ZERO] * 5 + [D("1600.00")]
    assert statement.totals["projected_disbursements"] == D("4100.00")


def test_a_past_year_with_no_projection_on_file_shows_none_and_nothing_paid_out():
    loan = escrowed_loan()
    # The loan's second year, with no analysis of it on file (the first year's projection is the initial one).
    statement = annual_statement(
        analysis_row(loan, analysis_date=date(2028, 12, 2), year_start=date(2029, 1, 1), disbursement_detail=[])
    )
    assert statement.history_start == date(2028, 1, 1)
    assert [m.projected_disbursements for m in statement.history] == [None] * 12
    assert statement.totals == {
        "projected_payment": D("6300.00"),
        "actual_payment": D("0.00"),
        "projected_disbursements": None,
        "actual_disbursements": D("0.00"),
    }
    assert statement.paid_out_by_kind == ()


def test_only_the_years_own_disbursements_are_counted_by_kind():
    loan = escrowed_loan()
    tax = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)
    for paid_on, amount in ((date(2026, 12, 31), "11.00"), (date(2027, 1, 1), "22.00"), (date(2027, 12, 31), "33.00")):
        EscrowDisbursement.objects.create(
            item=tax, loan=loan, due_date=paid_on, paid_on=paid_on, payment_number=1, amount=D(amount)
        )
    EscrowDisbursement.objects.create(
        item=tax, loan=loan, due_date=date(2028, 1, 1), paid_on=date(2028, 1, 1), payment_number=1, amount=D("44.00")
    )
    statement = annual_statement(analysis_row(loan))
    assert statement.paid_out_by_kind == (("Property tax", D("55.00")),)  # 22.00 + 33.00
    assert [m.actual_disbursements for m in statement.history] == [D("22.00")] + [ZERO] * 10 + [D("33.00")]


def test_a_months_items_are_described_in_the_order_they_were_paid():
    loan = escrowed_loan()
    tax = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)
    insurance = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.HAZARD_INSURANCE)
    for item, paid_on in ((tax, date(2027, 6, 20)), (insurance, date(2027, 6, 5))):  # the later one recorded first
        EscrowDisbursement.objects.create(
            item=item, loan=loan, due_date=paid_on, paid_on=paid_on, payment_number=1, amount=D("10.00")
        )
    june = annual_statement(analysis_row(loan)).history[5]
    assert june.descriptions == ("Homeowner's insurance premium", "Property tax")


# --- the new payment, the handling and the coming year -------------------------------------------------------------


def test_the_new_payment_adds_the_effective_installments_principal_and_interest():
    loan = escrowed_loan()
    statement = annual_statement(analysis_row(loan, new_monthly_payment=D("529.16")))
    principal_interest = D("1896.20")  # installment 13: the level payment of 300,000.00 at 6.5 % over 360 months
    assert (statement.principal_interest, statement.previous_total_payment, statement.new_total_payment) == (
        principal_interest,
        principal_interest + D("525.00"),
        principal_interest + D("529.16"),
    )
    alone = annual_statement(
        analysis_row(loan, analysis_date=date(2027, 12, 3), effective_installment=None, new_monthly_payment=D("530.00"))
    )
    assert (alone.principal_interest, alone.previous_total_payment, alone.new_total_payment) == (
        ZERO,
        D("525.00"),
        D("530.00"),
    )


def test_a_small_surplus_is_credited_over_twelve_months_and_nothing_else_is_spread():
    loan = escrowed_loan()
    statement = annual_statement(
        analysis_row(loan, kind="surplus", action="credit", surplus=D("30.00"), new_monthly_payment=D("522.50"))
    )
    assert (
        statement.surplus_credit_installment,
        statement.shortage_installment,
        statement.deficiency_installment,
        statement.refund,
    ) == (D("2.50"), ZERO, ZERO, None)


def test_a_refunded_surplus_is_not_credited():
    loan = escrowed_loan()
    statement = annual_statement(analysis_row(loan, kind="surplus", action="refund", surplus=D("100.00")))
    assert (statement.surplus_credit_installment, statement.shortage_installment) == (ZERO, ZERO)


def test_a_shortage_and_a_deficiency_spread_over_two_months_show_the_first_payment_of_each():
    loan = escrowed_loan()
    statement = annual_statement(
        analysis_row(
            loan,
            kind="deficiency",
            action="spread_12",
            shortage=D("100.01"),
            deficiency=D("50.01"),
            spread_months=2,
        )
    )
    # 100.01 = 50.00 + 50.01 and 50.01 = 25.00 + 25.01: the last payment carries the odd cent.
    assert (statement.shortage_installment, statement.deficiency_installment, statement.surplus_credit_installment) == (
        D("50.00"),
        D("25.00"),
        ZERO,
    )


def test_the_coming_year_is_projected_from_the_target_balance_with_its_disbursements():
    loan = escrowed_loan()
    statement = annual_statement(analysis_row(loan))
    assert statement.disbursements == (
        Disbursement(date(2028, 6, 1), D("2400.00"), "Property tax"),
        Disbursement(date(2028, 12, 1), D("2400.00"), "Property tax"),
        Disbursement(date(2028, 12, 1), D("1500.00"), "Homeowner's insurance premium"),
    )
    lines = [
        (line.month, line.payment_date, line.payment, line.disbursements, line.descriptions, line.balance)
        for line in statement.projection
    ]
    assert len(lines) == 12
    assert lines[0] == (1, date(2028, 1, 1), D("525.00"), ZERO, (), D("1575.00"))
    assert lines[5] == (6, date(2028, 6, 1), D("525.00"), D("2400.00"), ("Property tax",), D("1800.00"))
    assert lines[11] == (
        12,
        date(2028, 12, 1),
        D("525.00"),
        D("3900.00"),
        ("Property tax", "Homeowner's insurance premium"),
        D("1050.00"),
    )
    nothing_left = annual_statement(analysis_row(loan, analysis_date=date(2027, 12, 3), disbursement_detail=[]))
    assert (nothing_left.disbursements, nothing_left.projection) == ((), ())


# --- the initial statement -----------------------------------------------------------------------------------------


def test_an_initial_statement_needs_an_application_and_escrow_collected_either_way():
    loan = escrowed_loan()
    loan.escrow_initial_deposit = ZERO
    assert initial_statement(loan).projection.monthly_payment == D("525.00")  # a monthly payment alone
    loan.escrow_initial_deposit, loan.escrow_monthly_payment = D("1050.00"), ZERO
    assert initial_statement(loan).projection.initial_deposit == D("1050.00")  # a deposit alone
    loan.escrow_initial_deposit = ZERO
    assert initial_statement(loan) is None  # nothing escrowed
    loan.escrow_initial_deposit = D("1050.00")
    loan.application = None  # boarded from a servicing transfer: the transferor gave it
    assert initial_statement(loan) is None


def test_a_property_left_with_nothing_to_escrow_has_no_initial_statement():
    loan = escrowed_loan()
    prop = loan.application.subject_property
    prop.annual_property_tax = prop.annual_insurance = ZERO
    assert initial_statement(loan) is None


# --- making and storing them --------------------------------------------------------------------------------------


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def rendered(monkeypatch) -> list[tuple[str, dict]]:
    """Each render asked for (template, context), answered with a blank page (the PDF itself is read by
    test_escrow_statements.py)."""
    calls: list[tuple[str, dict]] = []
    pdf = _blank_pdf()

    def render(template: str, context: dict) -> bytes:
        calls.append((template, context))
        return pdf

    monkeypatch.setattr(escrow_statements, "pdf_render", render)
    return calls


def _stored(document: BorrowerDocument) -> tuple:
    document.refresh_from_db()
    return (document.kind, document.key, document.title, document.document_date, document.version, document.created_by)


def test_the_initial_statement_is_stored_once_by_its_maker_with_the_first_payment(rendered):
    loan = escrowed_loan()
    servicer = user_with_role(roles.SERVICER)
    document = escrow_initial_statement_make(loan=loan, actor=servicer)
    assert _stored(document) == (
        "escrow_initial",
        "boarding",
        "Initial escrow account statement",
        date(2026, 11, 13),
        1,
        servicer,
    )
    ((template, context),) = rendered
    assert template == "pdf/borrower/escrow_initial.html"
    # Installment 1: principal 271.20 and interest 2,600.06 = 2,871.26, plus 525.00 of escrow.
    assert (context["first_principal_interest"], context["first_total_payment"]) == (D("2871.26"), D("3396.26"))
    assert context["projection"] == context["statement"].projection
    assert (context["projection"].monthly_payment, context["loan"]) == (D("525.00"), loan)
    # A retried task: the stored statement, nothing rendered again.
    assert escrow_initial_statement_make(loan=loan, actor=servicer) == document
    assert (len(rendered), BorrowerDocument.objects.filter(loan=loan).count()) == (1, 1)


def test_a_loan_without_an_initial_statement_stores_nothing(rendered):
    loan = escrowed_loan()
    loan.application = None
    assert escrow_initial_statement_make(loan=loan, actor=None) is None
    assert (rendered, BorrowerDocument.objects.count()) == ([], 0)


def test_the_annual_statement_is_stored_once_under_its_analysis_titled_by_its_date(rendered):
    loan = escrowed_loan()
    analysis = analysis_row(loan)
    servicer = user_with_role(roles.SERVICER)
    document = escrow_annual_statement_make(analysis=analysis, actor=servicer)
    assert _stored(document) == (
        "escrow_annual",
        str(analysis.pk),
        "Annual escrow account statement, December 2, 2027",
        date(2027, 12, 2),
        1,
        servicer,
    )
    ((template, context),) = rendered
    assert template == "pdf/borrower/escrow_annual.html"
    assert (context["analysis"], context["statement"].analysis, context["loan"]) == (analysis, analysis, loan)
    assert context["statement"].history_end == date(2027, 12, 31)
    assert escrow_annual_statement_make(analysis=analysis, actor=servicer) == document
    assert (len(rendered), BorrowerDocument.objects.filter(loan=loan).count()) == (1, 1)


def test_a_nights_annual_statements_are_counted_made_or_found_and_made_once(rendered):
    first, second = escrowed_loan(), escrowed_loan()
    analyses = [analysis_row(first), analysis_row(second, analysis_date=date(2027, 12, 9))]
    ids = [a.pk for a in analyses]
    servicer = user_with_role(roles.SERVICER)
    assert escrow_annual_statements_make(analysis_ids=ids, actor=servicer) == 2
    assert [d.created_by for d in BorrowerDocument.objects.all()] == [servicer, servicer]
    titles = sorted(BorrowerDocument.objects.values_list("title", flat=True))
    assert titles == [
        "Annual escrow account statement, December 2, 2027",
        "Annual escrow account statement, December 9, 2027",
    ]
    assert escrow_annual_statements_make(analysis_ids=ids, actor=None) == 2  # a retried chunk finds them
    assert (len(rendered), BorrowerDocument.objects.count()) == (2, 2)
    assert escrow_annual_statements_make(analysis_ids=[ids[0], max(ids) + 1000], actor=None) == 1
    assert escrow_annual_statements_make(analysis_ids=[], actor=None) == 0


def test_a_nights_statement_reads_its_analysis_with_the_loan_property_and_installment_at_once(
    rendered, django_assert_num_queries
):
    escrow_annual_statements_make(analysis_ids=[analysis_row(escrowed_loan()).pk], actor=None)  # caches warmed
    analysis = analysis_row(escrowed_loan())
    # The analysis with its loan, property and installment (1); the stored one (1); the year's installments, escrow
    # paid in, disbursements, projection on file and its product, opening balance, movements, refund, paid out by
    # kind (9); the document stored (5).
    with django_assert_num_queries(16):
        escrow_annual_statements_make(analysis_ids=[analysis.pk], actor=None)


def test_the_initial_statement_reads_the_first_installments_figures_at_once(rendered, django_assert_num_queries):
    escrow_initial_statement_make(loan=escrowed_loan(), actor=None)  # caches warmed
    loan = escrowed_loan()
    # The stored one; the first installment's principal and interest alone; the document stored (5).
    with django_assert_num_queries(7):
        escrow_initial_statement_make(loan=loan, actor=None)
