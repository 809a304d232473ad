"""Assertions on rendered money that a longer or signed number cannot satisfy.

A substring check lets ``"$2,674.03" in page`` pass on ``$2,674.03000000000`` and ``"146.40" in page`` on
``$1,146.40`` or ``-$146.40``. These helpers anchor the amount instead:

- ``assert_amount(text, "$94.81", label="Late fee")``: PDF or plain text with no element to read. The amount is not
  preceded by a digit, comma, point or minus sign and not followed by a digit, ``.``+digit or ``,``+digit.
- ``amount_in(text, needle)``: the same test as a bool (``needle`` may carry words around the amount).
- ``text_by_testid(html, "total")``: the whole text of the one element with that ``data-testid`` (compare with ==).
- ``table_rows(html)`` / ``cell_texts(html)``: table cells' whole texts, for pages with no test id on the cell.
- ``text_by_classes(html, "fieldBox", "field-total")``: the same for an element we do not template (the admin).
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


class _ElementText(HTMLParser):
    """Collects the text inside every element that ``matches`` its attributes (nested tags and matches included)."""

    def __init__(self, matches):
        super().__init__()
        self.matches = matches
        self.found: list[list[str]] = []
        self._open: list[list[int]] = []  # [tags still open inside the match, index in found] per open match

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        for match in self._open:
            match[0] += 1
        if self.matches(dict(attrs)):
            self.found.append([])
            self._open.append([1, len(self.found) - 1])

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        for match in self._open:
            match[0] -= 1
        self._open = [match for match in self._open if match[0] > 0]

    def handle_data(self, data):
        for _, index in self._open:
            self.found[index].append(data)


def _texts(html: str, matches) -> list[str]:
    parser = _ElementText(matches)
    parser.feed(html)
    parser.close()
    return [" ".join("".join(parts).split()) for parts in parser.found]


def texts_by_testid(html: str, testid: str) -> list[str]:
    """The text of each element with ``data-testid=testid``, in page order, whitespace runs collapsed to one space."""
    return _texts(html, lambda attrs: attrs.get("data-testid") == testid)


def text_by_testid(html: str, testid: str) -> str:
    """The whole text of the single element with ``data-testid=testid`` (fails when there is none or several)."""
    texts = texts_by_testid(html, testid)
    assert len(texts) == 1, f"{len(texts)} elements with data-testid={testid!r}"
    return texts[0]


def text_by_classes(html: str, *classes: str) -> str:
    """The whole text of the single element carrying all ``classes`` (for pages we do not template, such as the
    admin's read-only fields: ``text_by_classes(html, "fieldBox", "field-total")``)."""
    wanted = set(classes)
    texts = _texts(html, lambda attrs: wanted <= set((attrs.get("class") or "").split()))
    assert len(texts) == 1, f"{len(texts)} elements with classes {sorted(wanted)}"
    return texts[0]


class _Rows(HTMLParser):
    """Every ``<tr>``'s cells (``td`` and ``th``) as text."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """Each table row of the page as its cells' whole texts, in page order: ``["Jan 1", "$3,396.26", ...]``."""
    parser = _Rows()
    parser.feed(html)
    parser.close()
    return parser.rows


def cell_texts(html: str) -> set[str]:
    """The whole text of every table cell on the page: ``"$146.40" in cell_texts(html)`` needs a cell of exactly it."""
    return {cell for row in table_rows(html) for cell in row}
