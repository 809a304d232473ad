"""The statement's layout: label-and-amount lines whose labels stay together when the line is justified, and the
lean user-agent stylesheet the nightly renders it with."""

from __future__ import annotations

import io
from datetime import date

import pytest
import weasyprint
from django.template.loader import render_to_string
from pypdf import PdfReader

from origination.services import disclosures
from servicing.selectors.statements import statement_figures
from servicing.services.statements import (
    STYLESHEET,
    TEMPLATE,
    justified_lines,
    statement_context,
    statement_lines,
    statement_pdf,
    statements_make,
)
from tests.servicing.test_statements import _today, history_loan  # noqa: F401 (fixtures)


def test_a_label_keeps_its_words_together_and_the_value_takes_the_one_plain_space():
    text = justified_lines([("Escrow (taxes and insurance)", "$525.00"), ("Interest rate", "6.5%")])
    assert text == "Escrow\u2004(taxes\u2004and\u2004insurance) $525.00\nInterest\u2004rate 6.5%"
    assert justified_lines([]) == ""


@pytest.mark.django_db
def test_the_statement_groups_its_lines_with_exact_figures(history_loan):  # noqa: F811
    lines = statement_lines(statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0])
    s = "\u2004"
    assert lines["explanation"] == (
        f"Principal $280.13\nInterest $1,616.07\nEscrow{s}(taxes{s}and{s}insurance) $525.00\n"
        f"Regular{s}monthly{s}payment $2,421.20\nFees{s}and{s}charges{s}due $0.00\nPast{s}due{s}amount $2,421.20"
    )
    assert lines["explanation_total"] == f"Total{s}amount{s}due $4,842.40"
    assert lines["activity"].split("\n")[1] == f"05/20/2027{s}Payment{s}received{s}(Check) $2,516.01"
    assert lines["coupon_extra"].split("\n")[0] == f"If{s}received{s}after{s}07/16/2027 $4,937.21"


@pytest.mark.django_db
def test_justifying_a_line_does_not_spread_its_label(history_loan):  # noqa: F811
    # pypdf puts spaces into the text where a justified line has a wide gap: a label whose words were spread
    # would read "Outstanding   principal". Only the gap before the amount is wide.
    figures = statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0]
    raw = PdfReader(io.BytesIO(statement_pdf(figures))).pages[0].extract_text().replace("\u2004", " ")
    lines = raw.split("\n")
    for expected in ("Outstanding principal", "Escrow (taxes and insurance)", "05/20/2027 Payment received (Check)"):
        assert any(line.startswith(expected + "  $") for line in lines), expected


def test_weasyprint_still_has_the_user_agent_hooks_the_statement_overrides():
    # If a WeasyPrint upgrade renamed them, statements would quietly render with the default sheet (slower).
    assert callable(weasyprint.HTML._ua_stylesheets)
    assert callable(weasyprint.HTML._ph_stylesheets)


@pytest.mark.django_db
def test_pdfs_render_with_our_user_agent_sheet_alone(history_loan, monkeypatch):  # noqa: F811
    html_class = disclosures._html_class()
    seen = []
    original = html_class._ua_stylesheets
    monkeypatch.setattr(html_class, "_ua_stylesheets", lambda self, forms=False: seen.append(1) or original(self))
    figures = statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0]
    statement_pdf(figures)
    assert seen == [1]
    [sheet] = html_class._ua_stylesheets(None)
    assert sheet is disclosures._stylesheet(disclosures.USER_AGENT_STYLESHEET)
    assert html_class._ph_stylesheets(None) == []


@pytest.mark.django_db
def test_our_user_agent_sheet_shows_every_word_weasyprints_own_does(history_loan):  # noqa: F811
    # The lean sheet drops rules, never content: the statement reads the same word for word with either sheet.
    figures = statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0]
    html = render_to_string(TEMPLATE, statement_context(figures))
    sheet = disclosures._stylesheet(STYLESHEET)
    fonts = disclosures._font_config()
    ours = disclosures._html_class()(string=html).write_pdf(stylesheets=[sheet], font_config=fonts)
    theirs = weasyprint.HTML(string=html).write_pdf(stylesheets=[sheet], font_config=fonts)
    assert _words(ours) == _words(theirs)
    assert len(_words(ours)) > 300


def _words(pdf: bytes) -> list[str]:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()


@pytest.mark.django_db
def test_a_statement_is_stored_with_the_page_count_of_its_pdf(history_loan):  # noqa: F811
    [statement] = statements_make(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk], actor=None)
    document = statement.document
    with document.file.open("rb") as handle:
        assert len(PdfReader(handle).pages) == 1
    assert document.pages == 1
