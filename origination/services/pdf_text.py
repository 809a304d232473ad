"""WeasyPrint's drawing of a line of text, with its per-glyph loop made cheap (pdf_render installs it once per process).

``weasyprint.draw.text.draw_first_line`` writes each glyph of a line to the page's content stream through a dozen
cffi attribute reads and string formats: a third of the 360-row amortization schedule's render. This version reads
a run's glyphs in one copy of their C array and writes each distinct (glyph, advance) of a font once per document,
producing the very same bytes (tests/origination/test_pdf_text.py compares whole PDFs). Lines it does not handle
the same way (an ellipsis, a glyph missing from its font, a raised glyph, bitmap or colour fonts) are drawn by
WeasyPrint's own function; were a later WeasyPrint to lay out its glyph structure differently, every line would be.
"""

from __future__ import annotations

from array import array
from typing import Any

# PangoGlyphInfo: guint32 glyph, gint32 width, x_offset, y_offset (PangoGlyphGeometry), guint32 attr bitfield.
_INTS_PER_GLYPH = 5
_original: Any = None


def install() -> None:
    """Point WeasyPrint's text drawing at ``draw_first_line`` (once per process; its original kept for the rest)."""
    global _original
    from weasyprint.draw import text
    from weasyprint.text.ffi import ffi

    if _original is None and ffi.sizeof("PangoGlyphInfo") == 4 * _INTS_PER_GLYPH and array("i").itemsize == 4:
        _original = text.draw_first_line
        text.draw_first_line = draw_first_line


def draw_first_line(stream: Any, textbox: Any, text_overflow: str, block_ellipsis: Any, matrix: Any) -> list[Any]:
    """``weasyprint.draw.text.draw_first_line``, the same bytes from a faster loop (see the module's docstring)."""
    from weasyprint.text.ffi import pango

    if text_overflow == "ellipsis" or block_ellipsis != "none":
        return _original(stream, textbox, text_overflow, block_ellipsis, matrix)  # type: ignore[no-any-return]
    if not textbox.text.strip() or textbox.style["font_size"] < 1e-6:
        return []
    pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
    first_line, _ = textbox.pango_layout.get_first_line()
    runs = _runs(stream, textbox, first_line)
    if runs is None:
        return _original(stream, textbox, text_overflow, block_ellipsis, matrix)  # type: ignore[no-any-return]

    stream.set_text_matrix(*matrix.values)
    previous_pango_font = None
    string = ""
    for glyph_item, pango_font, font, font_size, ids, widths, x_offsets in runs:
        if pango_font != previous_pango_font:
            previous_pango_font = pango_font
            if string:
                stream.show_text(string)
            string = ""
            stream.set_font_size(font.hash, font_size)
        _map_to_unicode(textbox, glyph_item, font, ids)
        string += "<" + _glyph_codes(stream, pango_font, font, font_size, ids, widths, x_offsets)
        string = string[:-1] if string[-1] == "<" else string + ">"
    stream.show_text(string)
    return []


def _runs(stream: Any, textbox: Any, first_line: Any) -> list[tuple[Any, ...]] | None:
    """Each run of the line: its Pango item, font, PDF font and size, and its glyphs' (id, width, x offset) as
    Python ints; None when one needs WeasyPrint's own drawing."""
    from weasyprint.text.ffi import ffi, pango

    old_pango = pango.pango_version() < 14802
    runs = []
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        pango_font = glyph_item.item.analysis.font
        font, font_size = stream.add_font(pango_font)
        if font.bitmap or font.png or font.svg or font.colr:
            return None
        if old_pango:
            font_size = textbox.style["font_size"]
        glyph_string = glyph_item.glyphs
        count = glyph_string.num_glyphs
        ints = array("i")
        ints.frombytes(ffi.buffer(glyph_string.glyphs, count * 4 * _INTS_PER_GLYPH))
        ids = ints[0::_INTS_PER_GLYPH]
        # A raised glyph, a glyph missing from its font (flagged ids, and any id past 2**31): WeasyPrint's own path.
        if count and (any(ints[3::_INTS_PER_GLYPH]) or min(ids) < 0 or max(ids) >= pango.PANGO_GLYPH_UNKNOWN_FLAG):
            return None
        runs.append((glyph_item, pango_font, font, font_size, ids, ints[1::_INTS_PER_GLYPH], ints[2::_INTS_PER_GLYPH]))
    return runs


def _map_to_unicode(textbox: Any, glyph_item: Any, font: Any, ids: array[int]) -> None:
    """The text each glyph new to ``font`` stands for, in the order WeasyPrint records it (the PDF's ToUnicode map
    lists them in that order)."""
    from weasyprint.text.ffi import pango

    new = set(ids).difference(font.to_unicode, (pango.PANGO_GLYPH_EMPTY,))
    if not new:
        return
    clusters = glyph_item.glyphs.log_clusters
    item = glyph_item.item
    utf8_text = textbox.pango_layout.text.encode()
    count = len(ids)
    for glyph in sorted(new, key=ids.index):
        i = ids.index(glyph)
        start = clusters[i]
        if item.analysis.level % 2:  # right to left
            end = item.length if i == 0 else clusters[i - 1]
        else:
            end = item.length if i == count - 1 else clusters[i + 1]
        font.to_unicode[glyph] = utf8_text[item.offset + start : item.offset + end].decode()


def _glyph_codes(
    stream: Any,
    pango_font: Any,
    font: Any,
    font_size: float,
    ids: array[int],
    widths: array[int],
    x_offsets: array[int],
) -> str:
    """The run's glyphs as WeasyPrint writes them in a TJ array: hex ids, with offsets and kerning between."""
    # Per font and size, the code of each (glyph, advance) seen in this document; the PDF font is the document's.
    codes = font.__dict__.setdefault("_lending_codes", {}).setdefault(font_size, {})
    if not any(x_offsets):
        parts = list(map(codes.get, zip(ids, widths, strict=True)))
        if None in parts:  # only the glyphs new to the document (a justified line's widened spaces): coded in order
            for i, part in enumerate(parts):
                if part is None:
                    parts[i] = _glyph_code(stream, pango_font, font, font_size, codes, ids[i], widths[i], 0)
        return "".join(parts)
    return "".join(
        _glyph_code(stream, pango_font, font, font_size, codes, glyph, width, x_offset)
        for glyph, width, x_offset in zip(ids, widths, x_offsets, strict=True)
    )


def _glyph_code(
    stream: Any,
    pango_font: Any,
    font: Any,
    font_size: float,
    codes: dict[tuple[int, int], str],
    glyph: int,
    width: int,
    x_offset: int,
) -> str:
    """One glyph's code, as in WeasyPrint's loop (the same float operations in the same order)."""
    from weasyprint.text.ffi import FROM_UNITS, pango

    if not x_offset and (glyph, width) in codes:
        return codes[(glyph, width)]
    if glyph == pango.PANGO_GLYPH_EMPTY:
        code = f">{-width / font_size}<"
    else:
        offset = x_offset / font_size
        code = f">{-offset}<" if offset else ""
        code += f"{glyph:04x}"
        logical_width = font.widths.get(glyph)
        if logical_width is None:
            pango.pango_font_get_glyph_extents(pango_font, glyph, stream.ink_rect, stream.logical_rect)
            logical_width = font.widths[glyph] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
        kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
        if kerning:
            code += f">{int(kerning)}<"
    if not x_offset:
        codes[(glyph, width)] = code
    return code
