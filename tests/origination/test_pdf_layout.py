"""WeasyPrint's per-box layout steps made cheap by origination.services.pdf_layout (pdf_render's percentages, float
avoidance, backgrounds and line layouts' set-up): byte for byte the PDF WeasyPrint's own steps write, for the
amortization schedule, the periodic statement, and documents with what the shortcuts leave to WeasyPrint (floats,
right-to-left text, collapsed borders, backgrounds, decorations, features, languages, percentages)."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
from weasyprint.text.line_break import Layout

from origination.services import disclosures, pdf_layout, pdf_lines
from servicing.selectors.statements import statement_figures
from servicing.services.statements import STYLESHEET, TEMPLATE, statement_context
from tests.origination.test_schedule_pdf import _schedule_pdf
from tests.servicing.test_statements import _today, history_loan  # noqa: F401 (fixtures)


def _weasyprints_own(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, users in pdf_layout._USERS.items():
        for module_name in users:
            module = importlib.import_module(module_name)
            if getattr(module, name, None) is getattr(pdf_layout, name):
                monkeypatch.setattr(module, name, pdf_layout._original[name])
    monkeypatch.setattr(pdf_lines._original_layout or Layout, "setup", pdf_layout._original["setup"])


def _render(html: str) -> bytes:
    pdf_lines.install()
    pdf_layout.install()
    document = disclosures._html_class()(string=html).render(
        stylesheets=[disclosures._stylesheet(disclosures.LOAN_DOCUMENT_STYLESHEET)],
        font_config=disclosures._font_config(),
    )
    return document.write_pdf()


def test_pdf_render_lays_boxes_out_with_the_shortcuts():
    _schedule_pdf()
    import weasyprint.layout.background
    import weasyprint.layout.block
    import weasyprint.layout.inline

    assert weasyprint.layout.inline.resolve_percentages is pdf_layout.resolve_percentages
    assert weasyprint.layout.block.avoid_collisions is pdf_layout.avoid_collisions
    assert weasyprint.layout.background.layout_box_backgrounds is pdf_layout.layout_box_backgrounds
    assert Layout.setup is pdf_layout.layout_setup
    for name, users in pdf_layout._USERS.items():
        assert pdf_layout._original[name].__module__ == users[0]
        assert pdf_layout.digest(pdf_layout._original[name]) == pdf_layout._THEIRS_SHA256[name]


def test_schedules_are_the_same_bytes_as_with_weasyprints_own_layout(monkeypatch):
    context, first = _schedule_pdf()
    second = disclosures.pdf_render("pdf/amortization_schedule.html", context)
    _weasyprints_own(monkeypatch)
    assert [first, second] == [disclosures.pdf_render("pdf/amortization_schedule.html", context)] * 2


@pytest.mark.django_db
def test_statements_are_the_same_bytes_as_with_weasyprints_own_layout(history_loan, monkeypatch):  # noqa: F811
    context = statement_context(statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0])
    context["generated_at"] = datetime(2027, 6, 16, 23, 0, tzinfo=UTC)
    ours = [disclosures.pdf_render(TEMPLATE, context, stylesheets=(STYLESHEET,)) for _ in range(2)]
    _weasyprints_own(monkeypatch)
    assert ours == [disclosures.pdf_render(TEMPLATE, context, stylesheets=(STYLESHEET,))] * 2


DOCUMENTS = [
    # Floats: lines beside them are placed by WeasyPrint's own search.
    '<div style="float: left; width: 30mm; height: 20mm; border: 1px solid">Left</div>'
    '<div style="float: right; width: 20%; height: 10mm; background: #eee">Right</div>'
    "<p>" + "Words beside the floats, enough of them to wrap around both. " * 8 + "</p>",
    # Right-to-left text.
    '<p dir="rtl" style="direction: rtl">שלום עולם, a line of right-to-left text</p><p>and left-to-right</p>',
    # Collapsed and separate borders, percentages of the containing block, box sizing.
    '<table style="border-collapse: collapse; width: 80%"><tr><td style="border: 2px solid; padding: 5%">A</td>'
    '<td style="border: 4px double; width: 30%">B</td></tr></table>'
    '<table style="border-collapse: separate"><tr><td style="border: 1px solid; margin: 3%">C</td></tr></table>'
    '<div style="box-sizing: border-box; width: 50%; padding: 10mm; border: 3mm solid; min-height: 20%">D</div>'
    '<div style="width: calc(50% - 2em); margin-left: calc(10% + 3px); height: 2em">E</div>',
    # Backgrounds, shadows, hidden boxes, colours by currentColor, radii.
    '<p style="background: #fe0">Yellow</p><p style="box-shadow: 2px 2px 3px #333">Shadow</p>'
    '<p style="visibility: hidden; background: red">Hidden</p><p style="color: blue; background: currentColor">'
    'Blue</p><p style="border-radius: 10%; border: 1px solid; background: linear-gradient(red, blue)">Grad</p>',
    # Decorations, OpenType features, languages and their overrides, letter spacing.
    '<p style="text-decoration: underline">Underlined</p><p style="font-variant: small-caps">Small caps</p>'
    '<p style="font-feature-settings: \'tnum\'">1 234.56</p><p lang="fr">Français</p>'
    '<p lang="de" style="font-language-override: \'TRK\'">Türkçe</p><p style="letter-spacing: 2px">Spaced</p>',
]


@pytest.mark.parametrize("html", DOCUMENTS)
def test_a_document_reads_as_with_weasyprints_own_layout(html, monkeypatch):
    ours = [_render(html) for _ in range(2)]  # the second from what the first kept on its styles
    _weasyprints_own(monkeypatch)
    assert ours == [_render(html)] * 2


def test_the_sizes_kept_per_style_stay_bounded_and_each_box_gets_its_own_values():
    pdf_layout.install()
    document = disclosures._html_class()(string='<p style="width: 50%; padding: 5%">One</p>').render(
        font_config=disclosures._font_config()
    )
    paragraph = next(box for box in document.pages[0]._page_box.descendants() if box.element_tag == "p")
    theirs = {}
    for width in range(40):
        pdf_layout._original["resolve_percentages"](paragraph, (width * 10, "auto"))
        theirs[width] = {name: getattr(paragraph, name) for name in pdf_layout._PERCENT_SETS}
    for _ in range(2):
        for width in range(40):
            pdf_layout.resolve_percentages(paragraph, (width * 10, "auto"))
            assert {name: getattr(paragraph, name) for name in pdf_layout._PERCENT_SETS} == theirs[width]
    assert len(paragraph.style.__dict__["_lending_percentages"]) == pdf_layout.KEPT_PER_STYLE
