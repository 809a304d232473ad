"""Year-end interest: the Form 1098 figures, the borrower PDF, the servicer's CSV and ``manage.py year_end``.

The loan (tests.servicing.factories.boarded_loan): a $300,000.00 purchase mortgage at 6.5 %, 30/360, closed and
disbursed 2026-11-13, first payment 2027-01-01; origination fee 1 % = $3,000.00 (points, on a purchase); property
at 400 Oak Avenue, Springfield, IL 62704; property tax $4,800.00 a year paid from escrow in two halves
(2027-06-01 and 2027-12-01).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils.timezone import make_aware
from pypdf import PdfReader

from servicing.management.commands import year_end as year_end_command
from servicing.models import BorrowerDocument, Installment, LoanAccount
from servicing.services import payments
from servicing.services.payments import payment_post, payment_reverse
from servicing.services.year_end import CSV_COLUMNS, YearEndError, form_1098_csv, form_1098_figures, year_end_run
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.escrow_helpers import run

pytestmark = pytest.mark.django_db
D = Decimal
AFTER_2027 = date(2028, 1, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: AFTER_2027)
    monkeypatch.setattr(year_end_command, "_today", lambda: AFTER_2027)


def _pay(loan, number: int, key: str):
    installment = Installment.objects.get(loan=loan, number=number)
    return payment_post(
        loan=loan,
        amount=installment.payment,
        effective_date=installment.due_date,
        method="check",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def _loan_with_a_2027():
    """Installments 1 and 2 paid on their due dates in 2027, a third payment reversed, the June tax half paid."""
    loan = boarded_loan()
    _pay(loan, 1, "y1")
    _pay(loan, 2, "y2")
    returned = _pay(loan, 3, "y3")
    payment_reverse(transaction=returned, reason="NSF", actor=None)
    run(date(2027, 6, 1))  # the escrow step pays the first property tax half, $2,400.00
    loan.refresh_from_db()
    return loan


def _pdf_text(document: BorrowerDocument) -> str:
    with document.file.open("rb") as stored:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)


def test_the_1098_figures_of_a_known_year():
    loan = _loan_with_a_2027()
    first, second = Installment.objects.filter(loan=loan, number__in=[1, 2]).order_by("number")
    # Installment 1: the odd days 2026-11-13 to 12-01 (18 days, 30/360) at a per diem of 300,000.00 x 6.5 % / 360
    # = 54.1666 -> 54.17, x 18 = 975.06, plus December's 300,000.00 x 6.5 % / 12 = 1,625.00: 2,600.06.
    # Installment 2: after principal 1,896.20 - 1,625.00 = 271.20, 299,728.80 x 6.5 % / 12 = 1,623.531 -> 1,623.53.
    assert (first.interest, second.interest) == (D("2600.06"), D("1623.53"))
    [form] = form_1098_figures(year=2027, loan_ids=[loan.pk])
    assert form.interest_received == D("4223.59")  # 2,600.06 + 1,623.53; the reversed third payment not counted
    assert form.principal_january_1 == D("300000.00")  # nothing was repaid before 2027-01-01
    assert form.origination_date == date(2026, 11, 13)
    assert form.points_paid == D("0.00")  # points belong to 2026, the year of the purchase
    assert form.property_taxes == D("2400.00")  # 4,800.00 / 2, paid 2027-06-01
    assert form.mortgage_insurance == D("0.00")
    assert form.property_address == "400 Oak Avenue, Springfield, IL 62704"
    assert form.acquisition_date is None
    assert form.reportable


def test_the_year_of_origination_reports_the_points_and_the_original_principal():
    loan = boarded_loan()
    payment_post(
        loan=loan,
        amount=D("100.00"),
        effective_date=date(2026, 12, 1),
        method="check",
        reference="early",
        idempotency_key="early",
        actor=None,
    )
    [form] = form_1098_figures(year=2026, loan_ids=[loan.pk])
    assert form.points_paid == D("3000.00")  # 1 % of 300,000.00 on a purchase
    assert form.principal_january_1 == D("300000.00")  # originated in 2026: the original principal
    assert form.has_figures


def test_the_next_year_starts_from_the_principal_left_on_january_1():
    loan = _loan_with_a_2027()
    [form] = form_1098_figures(year=2028, loan_ids=[loan.pk])
    # 300,000.00 less the principal of installments 1 and 2: 271.20 + (1,896.20 - 1,623.53 = 272.67) = 543.87.
    assert form.principal_january_1 == D("299456.13")
    assert (form.interest_received, form.property_taxes) == (D("0.00"), D("0.00"))


def test_a_year_that_has_not_ended_is_refused():
    with pytest.raises(YearEndError, match="2027 has not ended yet"):
        year_end_run(year=2027, actor=None, today=date(2027, 12, 31))


def test_the_run_stores_one_1098_per_loan_and_a_rerun_makes_none():
    loan = _loan_with_a_2027()
    boarded_loan()  # a loan with nothing paid in 2027 and no taxes: no 1098
    result = year_end_run(year=2027, actor=None, today=AFTER_2027)
    assert (len(result.forms), result.documents_made, result.documents_existing) == (1, 1, 0)
    document = BorrowerDocument.objects.get(kind=BorrowerDocument.Kind.FORM_1098)
    assert (document.loan, document.key, document.document_date) == (loan, "2027", date(2027, 12, 31))
    text = _pdf_text(document)
    for expected in (
        "Form 1098 Mortgage Interest Statement 2027",
        "1 Mortgage interest received from payer(s)/borrower(s) $4,223.59",
        "2 Outstanding mortgage principal on January 1, 2027 $300,000.00",
        "3 Mortgage origination date 11/13/2026",
        "6 Points paid on purchase of principal residence $0.00",
        "400 Oak Avenue, Springfield, IL 62704",
        "10 Other: real estate taxes paid from escrow $2,400.00",
    ):
        assert expected in text
    again = year_end_run(year=2027, actor=None, today=AFTER_2027)
    assert (again.documents_made, again.documents_existing) == (0, 1)
    assert BorrowerDocument.objects.filter(kind=BorrowerDocument.Kind.FORM_1098).count() == 1


def test_the_command_writes_the_csv_and_says_what_it_did(tmp_path):
    loan = _loan_with_a_2027()
    target = tmp_path / "f1098.csv"
    out = io.StringIO()
    call_command("year_end", "--year", "2027", "--csv", str(target), stdout=out)
    assert out.getvalue() == (
        "Form 1098 for 2027: 1 loans (1 reportable to the IRS); 1 borrower documents made, 0 already stored; "
        f"CSV written to {target}.\n"
    )
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1] == [
        "2027",
        loan.loan_number,
        loan.borrower_name,
        "4223.59",
        "300000.00",
        "2026-11-13",
        "0.00",
        "0.00",
        "400 Oak Avenue, Springfield, IL 62704",
        "2400.00",
        "",
        "yes",
    ]
    again = io.StringIO()
    call_command("year_end", "--year", "2027", "--csv", str(target), stdout=again)
    assert "0 borrower documents made, 1 already stored" in again.getvalue()


def test_the_command_refuses_the_current_year_and_previews_it_with_allow_partial(tmp_path):
    _loan_with_a_2027()
    with pytest.raises(CommandError, match="2028 has not ended yet"):
        call_command("year_end", "--year", "2028", "--csv", str(tmp_path / "x.csv"))
    out = io.StringIO()
    call_command("year_end", "--year", "2028", "--allow-partial", "--csv", str(tmp_path / "p.csv"), stdout=out)
    assert "0 borrower documents made" in out.getvalue()
    assert not BorrowerDocument.objects.exists()


def test_the_figures_cost_five_queries_whatever_the_number_of_loans(django_assert_num_queries):
    loans = [boarded_loan() for _ in range(3)]
    # The loans with their application, product and property; interest; the ledger before January 1; the boarded
    # principal; the escrow paid.
    with django_assert_num_queries(5):
        forms = form_1098_figures(year=2026, loan_ids=[loan.pk for loan in loans])
    assert [form.points_paid for form in forms] == [D("3000.00")] * 3


def test_a_csv_cell_is_never_a_spreadsheet_formula():
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(borrower_name='=HYPERLINK("http://x")')
    out = io.StringIO()
    form_1098_csv(form_1098_figures(year=2026, loan_ids=[loan.pk]), out)
    row = list(csv.reader(io.StringIO(out.getvalue())))[1]
    assert row[2] == '\'=HYPERLINK("http://x")'  # quoted: a spreadsheet shows it as text


def test_a_loan_transferred_to_us_in_the_year_reports_the_principal_it_came_with_and_the_acquisition_date():
    from servicing.services.transfer_boarding import TransferLoan, loan_board_transfer

    loan = loan_board_transfer(
        actor=None,
        loan=TransferLoan(
            loan_number="T-1098",
            borrower_name="Tess Transfer",
            principal=D("100000.00"),
            annual_rate=D("6.0000"),
            term_periods=360,
            payment_frequency="monthly",
            amortization="level",
            day_count="30/360",
            disbursement_date=date(2025, 9, 1),
            first_payment_date=date(2025, 10, 1),
            current_principal_balance=D("95000.00"),
            next_due_date=date(2026, 10, 1),
            allocation_strategy="mortgage_standard",
        ),
    )
    LoanAccount.objects.filter(pk=loan.pk).update(boarded_at=make_aware(datetime(2026, 9, 20, 9)))
    _pay(loan, 13, "t13")  # due 2026-10-01: 95,000.00 x 6 % / 12 = 475.00 of interest
    [form] = form_1098_figures(year=2026, loan_ids=[loan.pk])
    assert (form.interest_received, form.principal_january_1) == (D("475.00"), D("95000.00"))
    assert (form.acquisition_date, form.origination_date, form.points_paid) == (
        date(2026, 9, 20),
        date(2025, 9, 1),
        D("0.00"),
    )
    assert form.property_address == ""
    assert not form.reportable  # 475.00 < 600.00
    # The year before it was ours is not reported: the loan was not boarded yet.
    assert form_1098_figures(year=2025, loan_ids=[loan.pk])[0].interest_received == D("0.00")
    assert year_end_run(year=2025, actor=None, today=AFTER_2027).forms == []
