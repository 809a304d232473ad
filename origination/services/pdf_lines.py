"""WeasyPrint's line breaking of preformatted text, one Pango layout a line instead of three (pdf_render installs it
once per process).

For a line of ``white-space: pre`` text that ends at a newline, ``weasyprint.text.line_break.split_first_line`` lays
out the line and the next one's first character to find where the line ends, lays the line out again alone to
measure it and drops that layout; drawing lays it out a third time. Here such a line is laid out once, alone, in
the single-paragraph mode drawing sets, and the layout is kept until the line is drawn: the same boxes and the
same PDF bytes (tests/origination/test_pdf_lines.py compares whole documents). Every other line (wrapping text,
the last line of a text, a line holding a tab or another break Pango knows) goes to WeasyPrint's own function.
"""

from __future__ import annotations

from typing import Any

# Characters Pango may break a line at, or WeasyPrint sizes apart (tabs), besides the newline that ends the line.
_OTHER_BREAKS = frozenset("\r\t\x0b\x0c\x85\u2028\u2029")
_original: Any = None
_kept_layout: Any = None


def install() -> None:
    """Point WeasyPrint's inline layout at ``split_first_line`` (once per process; its original kept for the rest)."""
    global _original, _kept_layout
    from weasyprint.layout import inline

    if _original is None:
        _kept_layout = _kept_layout_class()
        _original = inline.split_first_line
        inline.split_first_line = split_first_line


def split_first_line(
    text: str,
    style: Any,
    context: Any,
    max_width: float | None,
    justification_spacing: float,
    is_line_start: bool = True,
    minimum: bool = False,
) -> tuple[Any, ...]:
    """``weasyprint.text.line_break.split_first_line``: the same result, laid out once for a preformatted line."""
    end = text.find("\n")
    if end == -1 or style["white_space"] != "pre" or justification_spacing or not _OTHER_BREAKS.isdisjoint(text[:end]):
        return _original(  # type: ignore[no-any-return]
            text, style, context, max_width, justification_spacing, is_line_start, minimum
        )
    from weasyprint.text.ffi import FROM_UNITS, pango
    from weasyprint.text.line_break import line_size

    line = text[:end]
    layout = _kept_layout(style, justification_spacing, max_width)
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)  # as drawing sets it: no layout again then
    layout.set_text(line)
    first_line, _ = layout.get_first_line()
    width, height = line_size(first_line, style)
    baseline = pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS
    # Pre text never wraps: the next line starts after the newline.
    return layout, first_line.length, len(line.encode()) + 1, width, height, baseline


def _kept_layout_class() -> type:
    from weasyprint.text.line_break import Layout

    class KeptLayout(Layout):  # type: ignore[misc]
        """A line's layout kept from line breaking to drawing (which deactivates it once drawn)."""

        def reactivate(self, style: Any) -> None:
            if getattr(self, "layout", None) is None or style is not self.style or self.justification_spacing:
                super().reactivate(style)

    return KeptLayout
