"""Assertions on rendered money that a longer or signed number cannot satisfy.

A substring check lets ``"$2,674.03" in page`` pass on ``$2,674.03000000000`` and ``"146.40" in page`` on
``$1,146.40`` or ``-$146.40``. These helpers anchor the amount instead:

- ``assert_amount(text, "$94.81", label="Late fee")``: PDF or plain text with no element to read. The amount is not
  preceded by a digit, comma, point or minus sign and not followed by a digit, ``.``+digit or ``,``+digit.
- ``amount_in(text, needle)``: the same test as a bool (``needle`` may carry words around the amount).
- ``text_by_testid(html, "total")``: the whole text of the one element with that ``data-testid`` (compare with ==).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# An amount edge: what may not touch a number's first or last character.
_BEFORE = r"(?<![\d,.\-])"
_AFTER = r"(?!\d|[.,]\d)"
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def amount_pattern(needle: str) -> re.Pattern[str]:
    """``needle`` as a regex, bounded on each side that starts or ends with a number ("$", "-" or a digit)."""
    before = _BEFORE if needle[:1] in "$-" or needle[:1].isdigit() else ""
    after = _AFTER if needle[-1:].isdigit() else ""
    return re.compile(before + re.escape(needle) + after)


def amount_in(text: str, needle: str) -> bool:
    """``needle`` ("$2,674.03", "Late fee $94.81") appears in ``text`` with its amounts whole."""
    return amount_pattern(needle).search(text) is not None


def assert_amount(text: str, amount: str, *, label: str = "") -> None:
    """``amount`` appears in ``text`` as a whole amount, right after ``label`` and one space when a label is given."""
    needle = f"{label} {amount}" if label else amount
    assert amount_in(text, needle), f"{needle!r} not shown as a whole amount in: {_near(text, amount)!r}"


def _near(text: str, amount: str) -> str:
    """The text around the closest match (for the failure message), or its start."""
    at = text.find(amount.lstrip("$"))
    return text[max(at - 60, 0) : at + 80] if at >= 0 else text[:200]


class _TestIdText(HTMLParser):
    """Collects the text inside every element carrying ``data-testid == testid`` (nested elements included)."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid = testid
        self.found: list[list[str]] = []
        self._depth = 0  # open tags inside the current match; 0 = outside

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        if self._depth:
            self._depth += 1
        elif dict(attrs).get("data-testid") == self.testid:
            self.found.append([])
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth and tag not in _VOID:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.found[-1].append(data)


def texts_by_testid(html: str, testid: str) -> list[str]:
    """The text of each element with ``data-testid=testid``, in page order, whitespace runs collapsed to one space."""
    parser = _TestIdText(testid)
    parser.feed(html)
    parser.close()
    return [" ".join("".join(parts).split()) for parts in parser.found]


def text_by_testid(html: str, testid: str) -> str:
    """The whole text of the single element with ``data-testid=testid`` (fails when there is none or several)."""
    texts = texts_by_testid(html, testid)
    assert len(texts) == 1, f"{len(texts)} elements with data-testid={testid!r}"
    return texts[0]
