"""Preformatted lines broken by origination.services.pdf_lines (pdf_render's one layout a line): the same line boxes
and byte for byte the PDF WeasyPrint's own line breaking writes, for the amortization schedule and for the
preformatted text it hands back to WeasyPrint or lays out itself."""

from __future__ import annotations

import importlib

import pytest
import weasyprint.layout.inline
import weasyprint.text.line_break
from weasyprint.text.line_break import Layout

from origination.services import disclosures, pdf_lines
from tests.origination.test_schedule_pdf import _schedule_pdf


def _weasyprints_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasyprint.layout.inline, "split_first_line", pdf_lines._original)
    monkeypatch.setattr(weasyprint.text.line_break, "Layout", pdf_lines._original_layout)
    for name in pdf_lines._STRUT_USERS:
        monkeypatch.setattr(importlib.import_module(name), "strut", pdf_lines._original_strut)


def _render(html: str) -> bytes:
    pdf_lines.install()
    document = disclosures._html_class()(string=html)
    return document.write_pdf(font_config=disclosures._font_config())


def test_pdf_render_breaks_lines_with_the_one_layout_version():
    _schedule_pdf()
    assert weasyprint.layout.inline.split_first_line is pdf_lines.split_first_line
    assert pdf_lines._original.__module__ == "weasyprint.text.line_break"


def test_the_schedule_pdf_is_the_same_bytes_as_with_weasyprints_own_line_breaking(monkeypatch):
    context, ours = _schedule_pdf()
    _weasyprints_own(monkeypatch)
    theirs = disclosures.pdf_render("pdf/amortization_schedule.html", context)
    assert ours == theirs


PRE_TEXTS = [
    "Two lines\nof text",
    "\n\nempty lines first\n\nand between\n",
    "trailing spaces   \n   and leading ones",
    "UTF-8 of several bytes: 1 234,56 €\nçà ü — ok\n日本語\n",
    "a tab\tinside\nthen a line\u2028separator and a\u2029paragraph separator\n",
    "a glyph no font has: \ue000\nthen plain text",
    "x" * 300 + "\na line wider than the page, clipped by nothing\n",
    "a line of words long enough to wrap in a narrow box of pre-line text\nshort\n",
    "soft\xadhyphen\xadated words in a long enough line to be broken somewhere\nand hyphen-ated auto\n",
]


@pytest.mark.parametrize("text", PRE_TEXTS)
@pytest.mark.parametrize(
    "style",
    [
        "font-family: 'DejaVu Sans Mono'",
        "font-family: 'DejaVu Sans'; letter-spacing: 1px; word-spacing: 3px",
        "font-family: 'DejaVu Sans'; text-align: justify; width: 40mm",
        "font-family: 'DejaVu Sans'; overflow: hidden; text-overflow: ellipsis; width: 30mm",
        "font-family: 'DejaVu Sans'; text-decoration: underline line-through; text-transform: uppercase",
        "font-family: 'DejaVu Sans'; hyphens: auto; width: 25mm",
    ],
)
@pytest.mark.parametrize("white_space", ["pre", "pre-line"])
def test_preformatted_text_reads_the_same_as_with_weasyprints_own_line_breaking(text, style, white_space, monkeypatch):
    wrapped = f'<p style="white-space: pre-wrap; width: 20mm">{text}</p>'  # WeasyPrint's own, beside
    html = f'<div lang="en" style="white-space: {white_space}; {style}">{text}</div>{wrapped}'
    ours = _render(html)
    _weasyprints_own(monkeypatch)
    assert _render(html) == ours


def test_a_preformatted_line_is_laid_out_once_between_breaking_and_drawing(monkeypatch):
    setups = []
    original_setup = Layout.setup

    def counted_setup(self, style):
        setups.append(self)
        original_setup(self, style)

    monkeypatch.setattr(Layout, "setup", counted_setup)
    # 40 lines: the one layout each of the 39 that end at a newline, and WeasyPrint's for the last line, kept from
    # breaking it to drawing it.
    _render("<pre style='white-space: pre'>" + "\n".join(f"line {number}" for number in range(1, 41)) + "</pre>")
    assert len(setups) == 40
    _weasyprints_own(monkeypatch)
    setups.clear()
    _render("<pre style='white-space: pre'>" + "\n".join(f"line {number}" for number in range(1, 41)) + "</pre>")
    assert len(setups) == 39 * 2 + 2


def _setups(monkeypatch: pytest.MonkeyPatch, html: str) -> int:
    """How many Pango layouts rendering ``html`` makes."""
    setups = []
    original_setup = Layout.setup

    def counted_setup(self, style):
        setups.append(self)
        original_setup(self, style)

    monkeypatch.setattr(Layout, "setup", counted_setup)
    _render(html)
    return len(setups)


def test_a_line_weasyprint_breaks_is_laid_out_once_between_breaking_and_drawing(monkeypatch):
    # Two paragraphs of one line each, the second wrapping text in a box wide enough: WeasyPrint lays each out to
    # break it and again to draw it; its layout kept, once.
    html = "<p>One line</p><p style='width: 80mm'>Another line of words</p>"
    assert _setups(monkeypatch, html) == 2
    _weasyprints_own(monkeypatch)
    assert _setups(monkeypatch, html) == 4


def test_a_justified_line_is_drawn_with_the_layout_justification_made(monkeypatch):
    # Three justified pre-line lines: laid out to break them (the last by WeasyPrint), then once each with their
    # word spacing, kept for drawing; WeasyPrint lays the justified ones out again to draw them.
    html = (
        "<div style='white-space: pre-line; text-align: justify; text-align-last: justify; width: 80mm'>"
        "Principal $1.00\nInterest $2.00\nTotal $3.00</div>"
    )
    assert _setups(monkeypatch, html) == 3 + 3
    _weasyprints_own(monkeypatch)
    assert _setups(monkeypatch, html) == 3 + 3 + 3


@pytest.mark.parametrize(
    "html",
    [
        # The statement's label-and-amount lines (servicing.services.statements): justified pre-line blocks.
        '<div style="white-space: pre-line; text-align: justify; text-align-last: justify; width: 90mm">'
        "Principal\u2004due $1,234.56\nInterest $12.00\nEscrow\u2004(taxes) $300.00</div>",
        "<p>An address<br>on lines<br>broken by <strong>br</strong> elements,<br> then a long enough line of words"
        " to wrap in its box, with an <em>inline</em> element between.</p>",
        '<div style="white-space: pre-line; width: 40mm">before a bold <b>word\nafter</b> it and\nthe last</div>',
    ],
)
def test_pre_line_text_reads_the_same_as_with_weasyprints_own_line_breaking(html, monkeypatch):
    ours = _render(html)
    _weasyprints_own(monkeypatch)
    assert _render(html) == ours


def test_a_document_drawn_twice_draws_its_kept_lines_the_same_the_second_time(monkeypatch):
    # Drawing lets a kept layout go; a second drawing of the same pages lays each line out again, as WeasyPrint does.
    pdf_lines.install()
    html = "<div style='white-space: pre'>first line\nsecond line\nlast line</div>"
    document = disclosures._html_class()(string=html).render(font_config=disclosures._font_config())
    first, second = document.write_pdf(), document.write_pdf()
    _weasyprints_own(monkeypatch)
    theirs = disclosures._html_class()(string=html).render(font_config=disclosures._font_config()).write_pdf()
    assert first == second == theirs


@pytest.mark.parametrize(
    "html",
    [
        # Lines WeasyPrint breaks, drawn from the layout that broke them: a wrapped paragraph's lines, one-line
        # cells (left, right and centred), right-to-left text, a word wider than its box, wrapping spaces.
        "<p style='width: 50mm'>A paragraph of words long enough to wrap over three or four lines of its box.</p>"
        "<table style='width: 120mm'><tr><td>Unpaid principal</td><td style='text-align: right'>$1,234.56</td>"
        "<td style='text-align: center'>centred</td></tr></table>",
        "<p dir='rtl' style='width: 40mm; text-align: right'>שלום עולם, טקסט מימין לשמאל שעובר שורה</p>"
        "<p dir='rtl'>مرحبا بالعالم</p><p style='direction: rtl'>mixed עברית and English</p>",
        "<p style='width: 15mm'>Supercalifragilisticexpialidocious then   spaces   between</p>"
        "<p style='width: 60mm'>ends with spaces   </p><p>one line</p>",
    ],
)
def test_lines_weasyprint_breaks_read_the_same_drawn_from_their_kept_layouts(html, monkeypatch):
    ours = _render(html)
    _weasyprints_own(monkeypatch)
    assert _render(html) == ours


LINE_HEIGHTS = """
<style>
  p.a { line-height: normal; font-size: 9pt } p.b { line-height: 1.6 } p.c { line-height: 140% }
  p.d { line-height: 14pt; font-family: 'DejaVu Sans Mono' } p.e { line-height: 2ex; font-size: 1.2em }
  p.f::first-line { font-size: 14pt; line-height: 3 } span.g { font-size: 16pt; line-height: 0.5 }
  p.h { font-size: 0 }
</style>
<p class="a">Normal line height <b>bold</b> <span class="g">big</span> text</p>
<p class="b">A number, wrapping over two lines of a paragraph long enough to be broken at least once here</p>
<p class="c">A percentage<br>after a break</p><p class="d">A length\nin monospace</p>
<p class="e">In ex units, from the font's own x-height</p>
<p class="f">A first line styled apart from the rest of a paragraph that goes on to a second line and a third one
too, to be sure</p><p class="h">nothing</p>
"""


def test_line_heights_are_the_same_bytes_as_with_weasyprints_own_strut(monkeypatch):
    ours = [_render(LINE_HEIGHTS) for _ in range(2)]
    _weasyprints_own(monkeypatch)
    assert ours == [_render(LINE_HEIGHTS)] * 2


def test_a_styles_strut_is_kept_on_it():
    from weasyprint.css import InitialStyle

    pdf_lines.install()
    style = InitialStyle(disclosures._font_config())
    assert pdf_lines.strut(style) == pdf_lines._original_strut(style)
    assert style.__dict__["_lending_strut"] is pdf_lines.strut(style)
