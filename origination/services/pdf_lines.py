"""WeasyPrint's line breaking of preformatted lines, one Pango layout a line instead of three or four (pdf_render
installs it once per process).

For a line of ``white-space: pre`` or ``pre-line`` text that ends at a newline,
``weasyprint.text.line_break.split_first_line`` lays out the line and the next one's first character to find where
the line ends (a pre-line line once more, trying the next word on it), lays the line out again alone to measure it
and drops that layout; drawing lays it out once more. Here such a line is laid out once, alone, in the
single-paragraph mode drawing sets, and the layout is kept until the line is drawn: the same boxes and the same
PDF bytes (tests/origination/test_pdf_lines.py compares whole documents). Every other line (text that collapses
its newlines, the last line of a text, a pre-line line wider than its box, a line holding a tab, a soft hyphen or
another break Pango knows) goes to WeasyPrint's own function.
"""

from __future__ import annotations

from typing import Any

# Preformatted text (never wraps) and pre-line text (wraps, but a line that fits ends at its newline).
_ONE_LAYOUT = ("pre", "pre-line")
# Characters Pango may break a line at, WeasyPrint sizes apart (tabs) or hyphenates at (soft hyphens), besides the
# newline that ends the line.
_OTHER_BREAKS = frozenset("\r\t\x0b\x0c\x85\xad\u2028\u2029")
# What Pango ends a paragraph at (pango_find_paragraph_boundary: newline, carriage return, U+2029), with the other
# separators WeasyPrint or Pango may treat alike, to be safe.
_PARAGRAPH_SEPARATORS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
_original: Any = None
_original_layout: Any = None
_original_strut: Any = None
_kept_layout: Any = None
# The modules that call WeasyPrint's strut by the name they imported it under.
_STRUT_USERS = (
    "weasyprint.text.line_break",
    "weasyprint.layout.inline",
    "weasyprint.css.units",
    "weasyprint.css.computed_values",
)


def install() -> None:
    """Point WeasyPrint's inline layout at ``split_first_line`` (once per process; its original kept for the rest)."""
    global _original, _original_layout, _original_strut, _kept_layout
    import importlib

    from weasyprint.layout import inline
    from weasyprint.text import line_break

    if _original is None:
        _kept_layout = _kept_layout_class()
        _original = inline.split_first_line
        inline.split_first_line = split_first_line
        _original_layout = line_break.Layout
        line_break.Layout = _kept_layout  # the layouts of WeasyPrint's own line breaking and justification, kept too
        _original_strut = line_break.strut
        for name in _STRUT_USERS:
            module = importlib.import_module(name)
            if getattr(module, "strut", None) is _original_strut:
                setattr(module, "strut", strut)  # noqa: B010 (mypy knows no module's strut)


def split_first_line(
    text: str,
    style: Any,
    context: Any,
    max_width: float | None,
    justification_spacing: float,
    is_line_start: bool = True,
    minimum: bool = False,
) -> tuple[Any, ...]:
    """``weasyprint.text.line_break.split_first_line``: the same result, laid out once for a line that ends at a
    newline and fits."""
    end = text.find("\n")
    if end == -1 or justification_spacing or style["white_space"] not in _ONE_LAYOUT:
        return _theirs(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    line = text[:end]
    wraps = style["white_space"] == "pre-line"
    if not _OTHER_BREAKS.isdisjoint(line) or (wraps and line.endswith(" ")):  # spaces a wrapping line would drop
        return _theirs(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    from weasyprint.text.ffi import FROM_UNITS, pango
    from weasyprint.text.line_break import line_size

    layout = _kept_layout(style, justification_spacing, max_width)
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)  # as drawing sets it: no layout again then
    layout.set_text(line)  # no width: the line as WeasyPrint measures and draws it once broken
    first_line, _ = layout.get_first_line()
    width, height = line_size(first_line, style)
    if wraps and max_width is not None and width > max_width:
        return _theirs(text, style, context, max_width, justification_spacing, is_line_start, minimum)  # it wraps
    baseline = pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS
    # The next line starts after the newline.
    return layout, first_line.length, len(line.encode()) + 1, width, height, baseline


def strut(style: Any) -> tuple[float, float]:
    """``weasyprint.text.line_break.strut`` (a style's line height and baseline), kept on the style: WeasyPrint looks
    it up in a cache keyed by the text of a 14-property tuple it formats at each call, a few hundred times a
    document (every line, inline box and ``em`` of a line height); a style's font and line height do not change
    once computed (WeasyPrint changes a copy's), and the styles are shared between documents (pdf_styles)."""
    kept: tuple[float, float] | None = style.__dict__.get("_lending_strut")
    if kept is None:
        kept = style.__dict__["_lending_strut"] = _original_strut(style)
    return kept


def _theirs(*args: Any) -> tuple[Any, ...]:
    """WeasyPrint's own ``split_first_line``."""
    result: tuple[Any, ...] = _original(*args)
    return result


def _drawn_alike(style: Any) -> bool:
    """Whether a layout WeasyPrint has broken a line with draws like the one it would make again to draw it: no
    spacing or word-breaking attributes (set_text adds those to a layout's own) and no character wrapping."""
    return (
        style["letter_spacing"] == "normal"
        and not style["word_spacing"]
        and style["overflow_wrap"] == "normal"
        and style["word_break"] != "break-all"
    )


def _kept_layout_class() -> type:
    from weasyprint.text.ffi import pango
    from weasyprint.text.line_break import Layout

    class KeptLayout(Layout):  # type: ignore[misc]
        """A line's layout kept from line breaking to drawing, which lets it go once drawn: WeasyPrint lets a
        layout go once a line is broken and makes it again, the same, to draw the line."""

        drawn = False
        one_line = False  # the layout as last made holds its whole text on one line

        def deactivate(self) -> None:
            if self.drawn or not _drawn_alike(self.style):
                super().deactivate()
            elif not self.one_line:  # kept: as drawing makes it, with no width (a line is broken already)
                pango.pango_layout_set_width(self.layout, -1)
            # A layout whose text all fits on its one line is the same with or without a width: a width unset
            # would only have it laid out again to draw it.

        def get_first_line(self) -> tuple[Any, int | None]:
            first_line, index = super().get_first_line()
            self.one_line = index is None
            return first_line, index

        def set_text(self, text: str, justify: bool = False) -> None:
            self.one_line = False
            super().set_text(text, justify)
            # Drawing puts a layout in single-paragraph mode, and a layout whose mode changes is laid out again.
            # Text without a paragraph separator lays out the same in either mode: set it now, before the layout
            # is first made, and drawing's change is none (a line WeasyPrint broke was laid out twice).
            pango.pango_layout_set_single_paragraph_mode(self.layout, _PARAGRAPH_SEPARATORS.isdisjoint(self.text))

        def reactivate(self, style: Any) -> None:
            self.drawn = True
            if getattr(self, "layout", None) is None or style is not self.style:
                super().reactivate(style)
            elif self.justification_spacing:
                self.set_text(self.text, justify=True)  # the justified line's word spacing, as drawing sets it

    return KeptLayout
