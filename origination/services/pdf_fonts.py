"""Embedded fonts subset once per process, not once per document (pdf_render installs it once per process).

WeasyPrint embeds each font a document uses cut down to the glyphs it draws (HarfBuzz's subsetter, twice per
font: a few milliseconds of a one-page letter's CPU). A worker's letters and statements draw nearly the same
glyphs, yet each document's own set differs a little (a name, an address): cut to exactly those, no two documents
could share a subset. So a font is cut to its glyphs for ``COMMON_CHARACTERS`` (letters, digits, the usual
punctuation and the few other characters the templates print) together with the document's own, and the result is
kept per font and glyph set: every document whose text stays within the common characters embeds the same subset,
made once per process. The font's identity, the document's glyphs, hinting and whether a glyph is missing are the
key.

The PDF embeds a few dozen glyphs it does not draw (about 3 KB more: a statement of 15.6 KB is 18.7 KB, mostly
the bold face's letters); the pages, the glyph widths and the text a reader copies are the same: the documents'
page streams, widths and ToUnicode maps are byte for byte WeasyPrint's own
(tests/origination/test_pdf_fonts.py). The subset is the same bytes object each time, so its font stream is
deflated once too (``Deflater``, which pydyf's ``zlib.compressobj`` returns through ``disclosures._DeflateAtLevel``).
"""

from __future__ import annotations

import io
import string
import zlib
from typing import Any

# Letters, digits and the punctuation of names, addresses and amounts, and what else the templates print: no-break
# space, section sign, middle dot, three-per-em space (statement lines), dashes, apostrophe, ellipsis.
COMMON_CHARACTERS = (
    string.ascii_letters + string.digits + " .,:;-$%()/#&@'" + "\u00a0\u00a7\u00b7\u2004\u2013\u2014\u2019\u2026"
)
KEPT_MAX = 64  # subsets kept per process: a document with unusual characters makes one more
_original: Any = None
_subsets: dict[tuple[Any, ...], bytes] = {}
_common_glyphs: dict[tuple[Any, ...], frozenset[int]] = {}
_kept: dict[int, bytes] = {}  # the kept subsets by id (kept alive by _subsets, so an id names one of them)
_deflated: dict[tuple[int, int], tuple[bytes, bytes]] = {}  # a kept subset and its deflated bytes, by id and level


def install() -> None:
    """Point WeasyPrint's ``Font._harfbuzz_subset`` at ``_subset`` (once per process; its original kept)."""
    global _original
    from weasyprint.pdf.fonts import Font

    if _original is None:
        _original = Font._harfbuzz_subset
        Font._harfbuzz_subset = _subset


def _subset(font: Any, to_unicode: dict[int, str], hinting: bool) -> None:
    """``Font._harfbuzz_subset`` for the document's glyphs and the common ones, made once per font and glyph set."""
    identity = _identity(font)
    glyphs = frozenset(to_unicode) | _common(font, identity)
    key = (identity, glyphs, bool(hinting), bool(font.missing))
    kept = _subsets.get(key)
    if kept is None:
        _original(font, dict.fromkeys(glyphs), hinting)
        if len(_subsets) >= KEPT_MAX:
            _subsets.clear()
            _kept.clear()
            _deflated.clear()
        kept = _subsets[key] = _kept[id(font.file_content)] = font.file_content
    font.file_content = kept


def _identity(font: Any) -> tuple[Any, ...]:
    """What tells one font file from another: its description's digest (family, style, weight), its index in the
    file, its size and its first and last bytes."""
    content = font.file_content
    return (font.hash, font.index, len(content), content[:256], content[-256:])


def _common(font: Any, identity: tuple[Any, ...]) -> frozenset[int]:
    """The font's glyph ids for ``COMMON_CHARACTERS`` it has (read from its character map once per process)."""
    glyphs = _common_glyphs.get(identity)
    if glyphs is None:
        from fontTools.ttLib import TTFont

        ttfont = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
        cmap = ttfont.getBestCmap() or {}
        glyphs = frozenset(ttfont.getGlyphID(cmap[ord(c)]) for c in COMMON_CHARACTERS if ord(c) in cmap)
        _common_glyphs[identity] = glyphs
    return glyphs


class Deflater:
    """``zlib.compressobj(level)`` for pydyf's streams that deflates a kept subset (a font stream's whole data, the
    same object from one document to the next) once per process, and anything else as zlib does. pydyf calls
    ``compress`` once and then ``flush``: a kept subset's deflated bytes are returned by ``flush``."""

    def __init__(self, level: int) -> None:
        self._level = level
        self._zlib: zlib._Compress | None = None
        self._subset: bytes | None = None

    def compress(self, data: bytes) -> bytes:
        if self._zlib is None and self._subset is None and _kept.get(id(data)) is data:
            self._subset = data
            return b""
        out = b""
        if self._zlib is None:
            self._zlib = zlib.compressobj(self._level)
            if self._subset is not None:  # more data after a kept subset: deflated together after all
                out, self._subset = self._zlib.compress(self._subset), None
        return out + self._zlib.compress(data)

    def flush(self) -> bytes:
        if self._subset is not None:
            return _deflate(self._subset, self._level)
        if self._zlib is None:
            self._zlib = zlib.compressobj(self._level)
        return self._zlib.flush()


def _deflate(subset: bytes, level: int) -> bytes:
    kept = _deflated.get((id(subset), level))
    if kept is None or kept[0] is not subset:  # (the subset itself is kept with its bytes: its id names only it)
        compressor = zlib.compressobj(level)
        kept = _deflated[(id(subset), level)] = (subset, compressor.compress(subset) + compressor.flush())
    return kept[1]
