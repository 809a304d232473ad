"""Text drawn by origination.services.pdf_text (pdf_render's faster line drawing): byte for byte the PDF WeasyPrint's
own drawing writes, for the amortization schedule, the periodic statement (justified, bold, several sizes) and
text whose glyphs WeasyPrint draws itself."""

from __future__ import annotations

from datetime import date

import pytest
import weasyprint.draw.text

from origination.services import disclosures, pdf_text
from servicing.selectors.statements import statement_figures
from servicing.services.statements import statement_pdf
from tests.origination.test_schedule_pdf import _schedule_pdf
from tests.servicing.test_statements import _today, history_loan  # noqa: F401 (fixtures)


def _weasyprints_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasyprint.draw.text, "draw_first_line", pdf_text._original)


def test_pdf_render_draws_text_with_the_fast_loop():
    _schedule_pdf()
    assert weasyprint.draw.text.draw_first_line is pdf_text.draw_first_line
    assert pdf_text._original.__module__ == "weasyprint.draw.text"


def test_the_schedule_pdf_is_the_same_bytes_as_with_weasyprints_own_drawing(monkeypatch):
    context, ours = _schedule_pdf()
    _weasyprints_own(monkeypatch)
    theirs = disclosures.pdf_render("pdf/amortization_schedule.html", context)
    assert ours == theirs


@pytest.mark.django_db
def test_the_statement_pdf_is_the_same_bytes_as_with_weasyprints_own_drawing(history_loan, monkeypatch):  # noqa: F811
    figures = statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0]
    ours = statement_pdf(figures)
    _weasyprints_own(monkeypatch)
    assert statement_pdf(figures) == ours


@pytest.mark.parametrize(
    "text",
    [
        "A glyph no font has: \ue000 between words",  # a private-use character: .notdef, WeasyPrint's own path
        "x<sup>2</sup> and H<sub>2</sub>O",  # raised and lowered text
        "Tabs\tand  spaces,\u00a0nbsp, \u2004three-per-em spaces and \u200bzero-width ones",
    ],
)
def test_lines_the_fast_loop_hands_back_or_draws_read_the_same(text, monkeypatch):
    html = f"<p style=\"font-family: 'DejaVu Sans'; text-overflow: ellipsis\">{text}</p><p>{text}</p>"

    def render() -> bytes:
        document = disclosures._html_class()(string=html)
        return document.write_pdf(font_config=disclosures._font_config())

    pdf_text.install()
    ours = render()
    _weasyprints_own(monkeypatch)
    assert render() == ours
