"""Embedded fonts subset once per process by origination.services.pdf_fonts: documents whose text stays within the
usual characters embed the same subset, a document reads and draws as with WeasyPrint's own subsets (the same page
streams, widths and text map; the same pixels), a rarer character keeps its outline, and the font stream deflated
once is zlib's own bytes."""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pydyf
import pytest
import weasyprint.pdf.fonts
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from origination.services import disclosures, pdf_fonts


def _letter(name: str) -> bytes:
    """A one-page payoff letter to ``name`` (the template with plain values for its figures)."""
    quote = {
        "pk": 7,
        "as_of": date(2026, 12, 1),
        "good_through": date(2026, 12, 11),
        "requested_at": date(2026, 12, 1),
        "interest_paid_through": date(2026, 11, 13),
        "per_diem_from": date(2026, 12, 11),
        "get_channel_display": "Staff",
        "principal": "300000.00",
        "interest": "1516.67",
        "total": "301516.67",
        "per_diem": "54.17",
        "accrual_days": 28,
        "escrow_refund": "1050.00",
    }
    context = {
        "application": {"number": "BL-00042"},
        "creditor_name": "Lending Mortgage Company",
        "creditor_address": "100 Main Street, Springfield, IL 62701",
        "contact_email": "servicing@example.com",
        "loan": {"loan_number": "BL-00042", "borrower_name": name},
        "quote": quote,
        "refund_business_days": 20,
        "generated_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    }
    return disclosures.pdf_render("pdf/payoff_letter.html", context)


def _weasyprints_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint's own subsetting, and pydyf deflating every stream with zlib at the same level."""
    pdf_fonts.install()
    monkeypatch.setattr(weasyprint.pdf.fonts.Font, "_harfbuzz_subset", pdf_fonts._original)
    monkeypatch.setattr(
        disclosures._DeflateAtLevel,
        "compressobj",
        staticmethod(lambda level=disclosures.PDF_DEFLATE_LEVEL: zlib.compressobj(disclosures.PDF_DEFLATE_LEVEL)),
    )


def _fonts(pdf: bytes) -> list[dict]:
    """Each font of the page: its name, widths, text map and embedded font file."""
    page: Any = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = []
    for key, ref in sorted(page["/Resources"]["/Font"].items()):
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        fonts.append(
            {
                "key": key,
                "name": font["/BaseFont"],
                "widths": list(descendant["/W"]),
                "to_unicode": font["/ToUnicode"].get_object().get_data(),
                "file": descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data(),
            }
        )
    return fonts


def _page_stream(pdf: bytes) -> bytes:
    contents = PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert contents is not None
    return contents.get_data()


def test_letters_to_different_names_embed_the_same_font_files():
    first, second = _letter("Ann Lee"), _letter("Quincy Vaughn-Bexley")
    assert first != second
    assert [f["file"] for f in _fonts(first)] == [f["file"] for f in _fonts(second)]
    assert len(_fonts(first)) == 2  # the regular and the bold face


def test_a_letter_has_the_page_widths_and_text_map_of_weasyprints_own_subsets(monkeypatch):
    ours = _letter("Ann Lee")
    _weasyprints_own(monkeypatch)
    theirs = _letter("Ann Lee")
    assert _page_stream(ours) == _page_stream(theirs)
    without_files = [{k: v for k, v in f.items() if k != "file"} for f in _fonts(ours)]
    assert without_files == [{k: v for k, v in f.items() if k != "file"} for f in _fonts(theirs)]
    assert PdfReader(io.BytesIO(ours)).pages[0].extract_text() == PdfReader(io.BytesIO(theirs)).pages[0].extract_text()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm draws the pages")
def test_a_letter_draws_the_same_pixels_as_with_weasyprints_own_subsets(monkeypatch, tmp_path: Path):
    ours = _letter("Zoë Ann Lee")
    _weasyprints_own(monkeypatch)
    theirs = _letter("Zoë Ann Lee")
    pixels = []
    for name, pdf in (("ours", ours), ("theirs", theirs)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", tmp_path / f"{name}.pdf", tmp_path / name], check=True)
        pixels.append((tmp_path / f"{name}-1.png").read_bytes())
    assert pixels[0] == pixels[1]


def _drawn(font_file: bytes, character: str) -> bool:
    """Whether the embedded font still draws ``character`` (a subset maps only the glyphs it kept)."""
    font = TTFont(io.BytesIO(font_file))
    cmap = font.getBestCmap()
    return ord(character) in cmap and font["glyf"][cmap[ord(character)]].numberOfContours != 0


def _regular_face(pdf: bytes) -> bytes:
    [font] = [f for f in _fonts(pdf) if f["name"].endswith("+DejaVu-Sans")]
    return font["file"]


def test_a_rarer_letter_keeps_its_outline_and_a_usual_letter_not_drawn_is_kept_too():
    regular = _regular_face(_letter("Zoë Łukasz"))
    assert _drawn(regular, "ë")
    assert _drawn(regular, "Ł")
    assert _drawn(regular, "Q")  # not drawn (no Q in the letter): kept with the usual letters
    assert not _drawn(_regular_face(_letter("Ann Lee")), "Ł")  # neither drawn nor usual: cut out


def _deflated(parts: list[bytes]) -> bytes:
    deflater = disclosures._DeflateAtLevel("zlib").compressobj(level=9)
    out = b"".join(deflater.compress(part) for part in parts)
    return out + deflater.flush()


def _zlib(parts: list[bytes]) -> bytes:
    compressor = zlib.compressobj(disclosures.PDF_DEFLATE_LEVEL)
    return b"".join(compressor.compress(part) for part in parts) + compressor.flush()


def test_a_kept_font_subset_deflates_to_zlibs_bytes_alone_or_with_more_data():
    _letter("Ann Lee")
    [subset, *_] = pdf_fonts._kept.values()
    assert _deflated([subset]) == _zlib([subset])
    assert _deflated([subset]) == _zlib([subset])  # the second time from what the first kept
    assert _deflated([subset, b"more data"]) == _zlib([subset, b"more data"])
    assert _deflated([b"a page stream"]) == _zlib([b"a page stream"])
    copy = bytes(bytearray(subset))  # equal bytes, another object: deflated as any data
    assert copy is not subset
    assert _deflated([copy]) == _zlib([subset])


def test_pdf_render_subsets_fonts_through_pdf_fonts_and_pydyf_deflates_through_the_deflater():
    _letter("Ann Lee")
    assert weasyprint.pdf.fonts.Font._harfbuzz_subset is pdf_fonts._subset
    assert isinstance(pydyf.zlib.compressobj(level=9), pdf_fonts.Deflater)


def test_a_kept_font_subset_is_deflated_once_per_process(monkeypatch):
    _letter("Ann Lee")
    [subset, *_] = pdf_fonts._kept.values()
    first = _deflated([subset])
    compressors = []
    original = zlib.compressobj
    monkeypatch.setattr(zlib, "compressobj", lambda *args, **kwargs: compressors.append(1) or original(*args, **kwargs))
    assert _deflated([subset]) == first
    assert compressors == []
    _deflated([b"a page stream"])
    assert compressors == [1]
