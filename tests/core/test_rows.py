"""lending/core/templatetags/rows.py's ``format_row``: Django's ``format_html``, escaping without its lazy wrapper."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from lending.core.templatetags.rows import escaped, format_row

lazy_safe = lazy(lambda: mark_safe("<b>lazy & safe</b>"), SafeString)

VALUES = [
    'O\'Brien & <Sons> "quoted"',
    mark_safe("<span>kept</span>"),
    SafeString("<i>&amp;</i>"),
    gettext_lazy("Pending <review>"),
    lazy_safe(),
    12345,
    -7,
    Decimal("-1234.50"),
    None,
    True,
    "",
    date(2027, 3, 1),
    "—",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_each_value_is_escaped_as_conditional_escape_escapes_it(value):
    assert escaped(value) == conditional_escape(value)


def test_a_row_is_format_htmls_row_and_safe():
    row = "<tr>" + "<td>{}</td>" * len(VALUES) + "</tr>"
    html = format_row(row, *VALUES)
    assert html == format_html(row, *VALUES)
    assert isinstance(html, SafeString)
    assert "O&#x27;Brien &amp; &lt;Sons&gt; &quot;quoted&quot;" in html
    assert "<span>kept</span>" in html
    assert "<b>lazy & safe</b>" in html
    assert "Pending &lt;review&gt;" in html


def test_a_row_with_literal_braces_and_repeated_places():
    assert format_row("<a href='{0}'>{0}{{x}}</a>", "<") == format_html("<a href='{0}'>{0}{{x}}</a>", "<")


def test_a_plain_text_skips_html_escape_only_when_it_holds_nothing_to_escape():
    import html

    every_character = "".join(map(chr, range(0x300)))
    for character in every_character:
        assert escaped(character) == html.escape(character) == conditional_escape(character)
    assert escaped(every_character) == conditional_escape(every_character)
    assert escaped("$1,234.56") == "$1,234.56"
    assert type(escaped("2027-03-01")) is str  # not marked safe: the row marks the whole
    assert type(escaped(SafeString("<b>x</b>"))) is SafeString
    assert isinstance(format_row("<td>{}</td>", "a"), SafeString)
