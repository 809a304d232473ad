"""What pdf_render makes once per process (origination.services.disclosures): the URL fetcher, and the lean
user-agent sheet's list markers."""

from __future__ import annotations

import weasyprint
import weasyprint.urls
from django.conf import settings

from origination.services import disclosures
from tests.origination.test_schedule_pdf import _schedule_pdf

LIST = "<p>Before</p><ul><li>First <b>item</b></li><li>Second</li></ul><ol><li>One</li><li>Two</li></ol><p>After</p>"


def test_documents_are_rendered_with_one_url_fetcher_per_process(monkeypatch):
    _schedule_pdf()
    made = []
    monkeypatch.setattr(weasyprint.urls.URLFetcher, "__init__", lambda self, *a, **k: made.append(1))
    context, first = _schedule_pdf()
    assert disclosures.pdf_render("pdf/amortization_schedule.html", context) == first
    assert made == []
    assert disclosures._url_fetcher() is disclosures._url_fetcher()


def test_list_markers_look_as_with_the_marker_rule_on_every_element():
    # The lean sheet styles only list items' markers (WeasyPrint's default styles every element's, each computed
    # for every document): the same bytes as with the rule on every element.
    path = settings.BASE_DIR / disclosures.USER_AGENT_STYLESHEET
    ours = path.read_text()
    assert "\nli::marker {" in ours
    every = weasyprint.CSS(
        string=ours.replace("\nli::marker {", "\n::marker {"), font_config=disclosures._font_config()
    )

    class EveryMarker(weasyprint.HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [every]

        def _ph_stylesheets(self) -> list:
            return []

    fonts = disclosures._font_config()
    assert disclosures._html_class()(string=LIST).write_pdf(font_config=fonts) == EveryMarker(string=LIST).write_pdf(
        font_config=fonts
    )
