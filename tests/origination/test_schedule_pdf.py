"""The amortization schedule PDF (fixed-width lines under a column header repeated on every page) and how every PDF's
streams are deflated."""

from __future__ import annotations

import io
import zlib
from datetime import date
from decimal import Decimal

import pydyf
from django.utils import timezone
from pypdf import PdfReader

from lending.finance.amortization import LoanTerms, build_schedule
from origination.services.closing import schedule_document_context, schedule_lines
from origination.services.disclosures import PDF_DEFLATE_LEVEL, pdf_render


def test_schedule_columns_are_as_wide_as_their_widest_figure():
    # $300.00 at 0 % in 3 payments: 100.00 each, all principal; balances 200.00, 100.00, 0.00.
    # Widths: "No." 3, a date 12, "Payment" 7 (wider than "300.00"), "Principal" 9, "Interest" 8, "Balance" 7;
    # two spaces between columns; the totals line ends at its last figure (no trailing spaces).
    schedule = build_schedule(
        LoanTerms(
            principal=Decimal("300.00"),
            annual_rate=Decimal("0"),
            term_periods=3,
            disbursement_date=date(2027, 1, 15),
            first_payment_date=date(2027, 3, 1),
        )
    )
    header, lines, totals = schedule_lines(schedule)
    assert header == "No.  Due           Payment  Principal  Interest  Balance"
    assert lines == [
        "  1  Mar  1, 2027   100.00     100.00      0.00   200.00",
        "  2  Apr  1, 2027   100.00     100.00      0.00   100.00",
        "  3  May  1, 2027   100.00     100.00      0.00     0.00",
    ]
    assert totals == "     Totals         300.00     300.00      0.00"


def _schedule_pdf() -> tuple[dict, bytes]:
    # The bench's loan: $300,000.00 at 6.5 % over 360 months (regular payment $1,896.20).
    disbursed = date(2026, 11, 13)
    schedule = build_schedule(
        LoanTerms(
            principal=Decimal("300000.00"),
            annual_rate=Decimal("6.5"),
            term_periods=360,
            disbursement_date=disbursed,
            first_payment_date=date(2027, 1, 1),
        )
    )
    context = {
        "application": {"number": "APP-000001", "closing_date": disbursed},
        "figures": {"loan_amount": schedule.terms.principal, "frequency": "monthly"},
        "rate_display": "6.5",
        **schedule_document_context(schedule),
        "generated_at": timezone.now(),
    }
    return context, pdf_render("pdf/amortization_schedule.html", context)


def test_the_schedule_pdf_prints_every_row_in_order_under_a_header_on_every_page():
    context, pdf = _schedule_pdf()
    pages = [page.extract_text().split("\n") for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) > 4  # 360 lines at 10 pt apart are several pages
    header = "No.  Due              Payment   Principal    Interest     Balance"
    assert context["schedule_header"] == header
    for number, page in enumerate(pages, start=1):
        assert page.count(header) == 1, number
        assert page[-1] == f"APP-000001 · page {number} of {len(pages)}"
    # Every installment's line once, in order, as schedule_lines made it (its figures are build_schedule's, tested
    # in tests/finance); the totals on the last page.
    printed = [line for page in pages for line in page if line in context["schedule_lines"]]
    assert printed == context["schedule_lines"]
    assert len(printed) == 360
    assert context["schedule_totals"] in pages[-1]


def test_pdf_streams_are_deflated_at_the_default_level_not_pydyfs_9():
    pdf_render("pdf/amortization_schedule.html", _schedule_pdf()[0])  # installs the level for the process
    content = b"\n".join(b"[<%04x>0<%04x>0<0003>0] TJ" % (i * 7919 % 10007, i % 97) for i in range(2000))
    assert zlib.compress(content, 6) != zlib.compress(content, 9)  # so the test tells the two apart
    data = pydyf.Stream([content], compress=True).data
    assert PDF_DEFLATE_LEVEL == 6
    assert zlib.compress(content, 6) in data
    assert zlib.decompress(data.split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0]) == content
