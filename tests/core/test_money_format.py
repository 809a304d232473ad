"""One money formatter: ``format_money`` and the ``money`` template filter (a builtin) show every amount as
``$1,234.56``, quantized to cents, and templates use nothing else for money."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from lending.core.templatetags.money import format_money

D = Decimal
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("2674.03000000000"), "$2,674.03"),  # a computed SQLite decimal
        (D("146.400000000000"), "$146.40"),
        (D("118429.78"), "$118,429.78"),
        (D("0"), "$0.00"),
        (D("0.005"), "$0.01"),  # ROUND_HALF_UP, the one rounding rule
        (D("-47.5"), "-$47.50"),
        (1000000, "$1,000,000.00"),
        ("12.3", "$12.30"),
        (None, ""),
        ("", ""),
        ("n/a", "n/a"),
    ],
)
def test_format_money(value, text):
    assert format_money(value) == text


def test_the_money_filter_needs_no_load_and_can_drop_the_symbol():
    template = engines["django"].from_string("{{ a|money }} | {{ a|money:'' }} | {{ b|money }}")
    assert template.render({"a": D("2674.03000000000"), "b": D("-0.01")}) == "$2,674.03 | 2,674.03 | -$0.01"


def test_templates_format_money_only_with_the_money_filter():
    offenders = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            raw_dollar = re.search(r"\$\{\{", line)  # "${{ amount }}": an unformatted amount after a dollar sign
            # Numbers of pages, rows, loans and payments are counts, not money.
            counts = re.sub(r"\.(num_pages|of_pages|count|loans|payments)\|intcomma", "", line)
            other = re.search(r'\|(intcomma|floatformat:"?2g"?)', counts)
            if raw_dollar or other:
                offenders.append(f"{path.relative_to(TEMPLATES_DIR)}:{number}")
    assert offenders == []
