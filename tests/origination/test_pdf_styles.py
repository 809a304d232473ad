"""Computed styles shared from one document to the next by origination.services.pdf_styles (pdf_render's cascade):
byte for byte the PDF WeasyPrint's own cascade writes, for the periodic statement and the amortization schedule
rendered again and again, and for documents whose elements must not take another document's style."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import weasyprint.css
import weasyprint.layout.page
from pypdf import PdfReader

from origination.services import disclosures, pdf_styles
from servicing.selectors.statements import statement_figures
from servicing.services.statements import STYLESHEET, TEMPLATE, statement_context
from tests.origination.test_schedule_pdf import _schedule_pdf
from tests.servicing.test_statements import _today, history_loan  # noqa: F401 (fixtures)


def _weasyprints_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasyprint.css.StyleFor, "__init__", pdf_styles._original)
    monkeypatch.setattr(weasyprint.css, "find_stylesheets", pdf_styles._original_find)
    monkeypatch.setattr(weasyprint.layout.page, "set_page_type_computed_styles", pdf_styles._original_page)


def _render(html: str) -> bytes:
    """``html`` with the statement's stylesheet (shared) and the process's user-agent sheet (shared)."""
    pdf_styles.install()
    document = disclosures._html_class()(string=html).render(
        stylesheets=[disclosures._stylesheet(STYLESHEET)], font_config=disclosures._font_config()
    )
    return document.write_pdf()


def test_pdf_render_computes_styles_with_the_shared_cascade():
    _schedule_pdf()
    assert weasyprint.css.StyleFor.__init__ is pdf_styles._init
    assert pdf_styles._original.__qualname__ == "StyleFor.__init__"
    assert weasyprint.layout.page.set_page_type_computed_styles is pdf_styles._set_page_styles
    assert pdf_styles._original_page.__name__ == "set_page_type_computed_styles"


@pytest.mark.django_db
def test_a_statement_rendered_again_computes_no_style_value(history_loan, monkeypatch):  # noqa: F811
    # Its elements', its line breaks' (br::before), its page's and its margin boxes' styles are all kept. (Twice
    # first: WeasyPrint's StyleFor.__call__ reads a style's display only once the style holds a value.)
    context = statement_context(statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0])
    for _ in range(2):
        disclosures.pdf_render(TEMPLATE, context, stylesheets=(STYLESHEET,))
    computed: list[str] = []
    for style_class in (weasyprint.css.ComputedStyle, weasyprint.css.AnonymousStyle):
        theirs = style_class.__missing__
        monkeypatch.setattr(
            style_class, "__missing__", lambda self, key, theirs=theirs: computed.append(key) or theirs(self, key)
        )
    disclosures.pdf_render(TEMPLATE, context, stylesheets=(STYLESHEET,))
    assert computed == [], computed


@pytest.mark.django_db
def test_statements_rendered_one_after_another_are_the_same_bytes_as_with_weasyprints_own_cascade(
    history_loan,  # noqa: F811
    monkeypatch,
):
    context = statement_context(statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0])
    context["generated_at"] = datetime(2027, 6, 16, 23, 0, tzinfo=UTC)
    ours = [disclosures.pdf_render(TEMPLATE, context, stylesheets=(STYLESHEET,)) for _ in range(3)]
    _weasyprints_own(monkeypatch)
    assert ours == [disclosures.pdf_render(TEMPLATE, context, stylesheets=(STYLESHEET,))] * 3


def test_schedules_rendered_one_after_another_are_the_same_bytes_as_with_weasyprints_own_cascade(monkeypatch):
    context, first = _schedule_pdf()
    second = disclosures.pdf_render("pdf/amortization_schedule.html", context)
    _weasyprints_own(monkeypatch)
    assert [first, second] == [disclosures.pdf_render("pdf/amortization_schedule.html", context)] * 2


# Each pair is rendered in turn: the second document's elements stand where the first's did, with the same rules
# matched, but each must look as it says.
PAIRS = [
    # Style attributes: compared by their text.
    ('<div class="j" style="color: red">Red $1.00</div>', '<div class="j" style="color: blue">Blue $1.00</div>'),
    # A document's own stylesheet: kept by its text (no at-rule), or parsed anew (an at-rule).
    ("<style>p { color: red }</style><p>Red</p>", "<style>p { color: green; font-size: 20pt }</style><p>Green</p>"),
    ("<style>p { color: red }</style><p>Red</p>", "<style>@media print { p { color: green } }</style><p>Green</p>"),
    (
        "<style>.x td { color: red }</style><table class='x'><tr><td>Red <b>bold</b></td></tr></table>",
        "<style>.x td { color: red }</style><table class='y'><tr><td>Black <b>bold</b></td></tr></table>",
    ),
    # Page rules of a <style> beside a kept sheet: the footer's text differs from one document to the next.
    (
        '<style>@page { @bottom-center { content: "A-1" } }</style><style>p { color: red }</style><p>One</p>',
        '<style>@page { @bottom-center { content: "B-2" } }</style><style>p { color: red }</style><p>Two</p>',
    ),
    # Languages (the lang attribute) and hyphenation by language.
    (
        '<p lang="en" style="hyphens: auto; width: 20mm">Extraordinarily unimaginable</p>',
        '<p lang="fr" style="hyphens: auto; width: 20mm">Extraordinairement inimaginable</p>',
    ),
    # Anchors and the links to them: every document collects its own.
    (
        '<p id="terms">Terms</p><p><a href="#terms">see the terms</a></p>',
        '<p id="terms">Terms again</p><p><a href="#terms">see them</a></p>',
    ),
    # The same element under a parent that differs.
    ('<div class="due"><h1>Statement</h1></div>', '<div class="from"><h1>Statement</h1></div>'),
    # Pseudo-elements (line breaks' ::before, list markers) under parents that differ.
    ('<p class="muted">One<br>two</p><ul><li>First</li></ul>', "<p>One<br>two</p><ol><li>First</li><li>Two</li></ol>"),
    # A page styled by a document's own @page, then by the shared sheets alone, then by its own again.
    ("<style>@page { size: A5; margin: 5mm }</style><p>Small</p>", "<p>Letter</p>"),
    ("<p>Letter</p>", '<style>@page { @top-center { content: "Top " counter(page) } }</style><p>Top</p>'),
    # Pages after the first (a page type of their own each), then fewer of them.
    ("<p>Line</p>" * 300, '<p class="muted">Other</p>' * 150),
    # The root's language changes the page's style (it inherits from the root).
    ('<html lang="en"><p>English</p></html>', '<html lang="fr"><p>Français</p></html>'),
]


@pytest.mark.parametrize("pair", PAIRS)
def test_a_document_after_another_reads_as_with_weasyprints_own_cascade(pair, monkeypatch):
    ours = [_render(html) for html in pair]
    _weasyprints_own(monkeypatch)
    assert ours == [_render(html) for html in pair]


def test_documents_laid_out_before_either_is_drawn_keep_their_own_page_overflow(monkeypatch):
    # The page's style is shared by page type, but layout sets the document's overflow (its body's) on it.
    pair = (
        '<body style="overflow: hidden"><p style="width: 250mm">Wide</p></body>',
        '<p style="width: 250mm">Wide</p>',
    )

    def laid_out_then_drawn() -> list[bytes]:
        pdf_styles.install()
        sheets, fonts = [disclosures._stylesheet(STYLESHEET)], disclosures._font_config()
        documents = [
            disclosures._html_class()(string=html).render(stylesheets=sheets, font_config=fonts) for html in pair
        ]
        return [document.write_pdf() for document in reversed(documents)]

    ours = laid_out_then_drawn()
    _weasyprints_own(monkeypatch)
    assert ours == laid_out_then_drawn()


def test_the_styles_kept_stay_bounded(monkeypatch):
    monkeypatch.setattr(pdf_styles, "SHARED_MAX", 10)
    for number in range(30):  # a different language each time: new keys for the root and all below it
        _render(f'<html lang="x-{number}"><body><p>Page {number}</p></body></html>')
        shared, ids = disclosures._font_config().__dict__["_lending_styles"]
        assert len(shared) == len(ids) <= 10 + 5  # emptied once over the bound, before the next document


def test_a_style_elements_sheet_without_at_rules_is_parsed_once_and_its_styles_kept():
    html = "<style>p.kept { color: red }</style><div class='j'><p class='kept'>Red</p></div>"
    _render(html)
    sheet = pdf_styles._sheets[("p.kept { color: red }", None, "print")]
    _render(html)
    assert pdf_styles._sheets[("p.kept { color: red }", None, "print")] is sheet
    shared, _ = disclosures._font_config().__dict__["_lending_styles"]
    assert sheet in {selector[0] for key in shared for selector in key[3]}


def test_the_style_elements_sheets_kept_stay_bounded(monkeypatch):
    monkeypatch.setattr(pdf_styles, "SHEETS_MAX", 3)
    for number in range(10):
        _render(f"<style>p {{ margin: {number}px }}</style><p>Margin {number}</p>")
        assert len(pdf_styles._sheets) <= 3


def test_no_style_matched_by_a_documents_own_stylesheet_with_an_at_rule_is_kept():
    # A <style> with an at-rule is parsed anew each time (its page rules go to the document's list): its rules'
    # styles are never matched again, and keeping them would keep the whole stylesheet alive.
    _render("<style>@media print { p { color: red } }</style><div class='j'><p>Red</p></div>")
    shared, _ = disclosures._font_config().__dict__["_lending_styles"]
    sheets = {selector[0] for key in shared for selector in key[3]}
    assert disclosures._stylesheet(STYLESHEET) in sheets
    assert [sheet for sheet in sheets if not getattr(sheet, "_lending_shared", False)] == []


def test_selectors_given_as_text_are_compiled_once_and_find_what_cssselect2_finds():
    from cssselect2 import ElementWrapper

    pdf_styles.install()
    wrapper = disclosures._html_class()(
        string="<title>T</title><style>p {}</style><p>One</p><meta name=x>"
    ).wrapper_element
    found = [element.etree_element.tag for element in wrapper.query_all("title", "meta", "link")]
    assert found == ["title", "meta"]
    assert ElementWrapper._compile(("title", "meta", "link")) is ElementWrapper._compile(("title", "meta", "link"))
    assert [test(element) for element in wrapper.iter_subtree() for test in pdf_styles._compile(("p",))] == [
        test(element) for element in wrapper.iter_subtree() for test in pdf_styles._original_compile(("p",))
    ]


def _render_loan_document(html: str) -> bytes:
    """``html`` with the loan documents' stylesheet (shared), as pdf_render renders the templates extending
    templates/pdf/loan_document_base.html."""
    pdf_styles.install()
    document = disclosures._html_class()(string=html).render(
        stylesheets=[disclosures._stylesheet(disclosures.LOAN_DOCUMENT_STYLESHEET)],
        font_config=disclosures._font_config(),
    )
    return document.write_pdf()


def test_a_loan_documents_footer_from_its_body_attribute_is_the_per_document_page_rule_it_replaced():
    # The base template once printed the footer as a <style> with an @page rule: the same bytes, page after page.
    body = "<p>Line</p>" * 120  # three pages
    rule = (
        '<style>@page { @bottom-center { content: "BL-0000042 · page " counter(page) " of " counter(pages); } }</style>'
    )
    assert _render_loan_document(f'<body data-document-number="BL-0000042">{body}</body>') == _render_loan_document(
        f"<head>{rule}</head><body>{body}</body>"
    )


def test_loan_documents_rendered_one_after_another_print_their_own_numbers_and_compute_no_page_style(monkeypatch):
    # Every sheet with page rules is one parsed once per process: the page's and its 16 margin boxes' styles are
    # kept (a letter computed ~430 values for them, each time), while each document's footer shows its own number.
    # (The schedule's tables still compute a few anonymous boxes' styles per document.)
    context, _ = _schedule_pdf()
    context["application"] = {**context["application"], "number": "APP-000002"}
    disclosures.pdf_render("pdf/amortization_schedule.html", context)
    computed: list[str] = []  # the page-margin boxes' (their pseudo type "@bottom-center" and so on)
    for style_class in (weasyprint.css.ComputedStyle, weasyprint.css.AnonymousStyle):
        theirs = style_class.__missing__
        monkeypatch.setattr(
            style_class,
            "__missing__",
            lambda self, key, theirs=theirs: (
                computed.append(f"{getattr(self, 'pseudo_type', None)} {key}") or theirs(self, key)
            ),
        )
    pdf = disclosures.pdf_render("pdf/amortization_schedule.html", context)
    assert computed, "the spy saw nothing"
    assert [value for value in computed if value.startswith("@")] == []
    pages = [page.extract_text().split("\n") for page in PdfReader(io.BytesIO(pdf)).pages]
    assert [page[-1] for page in pages] == [f"APP-000002 · page {n} of {len(pages)}" for n in range(1, len(pages) + 1)]
