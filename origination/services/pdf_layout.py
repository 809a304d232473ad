"""WeasyPrint's box layout, four of its per-box steps made cheap where their answer is known (pdf_render installs it
once per process).

WeasyPrint runs these for every box of every page: the 360-row amortization schedule has a line box and a text box
a row, a letter a few hundred boxes. Each answers the same for the same style:

- ``resolve_percentages`` turns a style's margins, paddings, sizes and border widths into a box's used values, a
  dozen lookups and calls a box: here the values a style gave are kept on it, by containing block size, and set on
  the next box at once (the style's values are compared each time, so a style changed in place is resolved again);
- ``avoid_collisions`` places a box beside the floats of the page: with no float on the page (``excluded_shapes``
  empty, every document of ours) its answer is the containing block's edges, worked out here without the search;
- ``layout_box_backgrounds`` finds each box's background: a box whose style has no background colour, image, shadow,
  border or mask image gets none, and whether a style has any is kept on it;
- ``Layout.setup`` readies a Pango layout for each line: the Pango context (font map, direction, language) and
  the font description a style gives are kept on it, WeasyPrint made them again for every line (a layout takes a
  reference to the one, which nothing changes once made, and copies the other).

Boxes and PDF bytes are WeasyPrint's own (tests/origination/test_pdf_layout.py compares whole documents); what
these shortcuts do not cover (a float on the page, right-to-left text, collapsed table borders, a box styled by its
page, text decorations or OpenType features) goes to WeasyPrint's own functions. Were a later WeasyPrint to change
any of the four, the install leaves that one alone (its source's digest is checked). Together about a tenth of
the schedule's CPU time (40 renders each way interleaved in one process, load 6.6: best 129.0 vs 142.5 ms, median
150.8 vs 172.8 ms, paired difference median -19.6 ms).
"""

from __future__ import annotations

import hashlib
import inspect
import operator
from typing import Any

from origination.services import pdf_lines

# sha256 of WeasyPrint 70.0's sources of the functions these shortcut.
_THEIRS_SHA256 = {
    "resolve_percentages": "71673078096fcf8764e6412933288cc79ba956eae0d939deda27beaeac45acad",
    "avoid_collisions": "5fc7793c573af328ffa88757d08f1641b19832805a1e48aa8b8204530c477e5d",
    "layout_box_backgrounds": "617a870678c82755762bbf53eecd2a871214b00246b2abf8f3a9a1524695f68a",
    "setup": "fb227a55094f41d42fbd57f180d8b7a9a1e741969ec8ddb3fd5cd80920257442",
}
# The used values resolve_percentages sets on a box; it reads the style's values of the same names, with the box's
# type, its containing block's size, and the two below.
_PERCENT_SETS = (
    "margin_left",
    "margin_right",
    "margin_top",
    "margin_bottom",
    "padding_left",
    "padding_right",
    "padding_top",
    "padding_bottom",
    "width",
    "min_width",
    "max_width",
    "height",
    "min_height",
    "max_height",
    "border_top_width",
    "border_right_width",
    "border_bottom_width",
    "border_left_width",
)
_PERCENT_READS = operator.itemgetter(*_PERCENT_SETS, "box_sizing", "border_collapse")
KEPT_PER_STYLE = 16  # containing block sizes kept per style: a style laid out in ever new widths cannot grow it
_original: dict[str, Any] = {}
# The modules that call each function by the name they imported it under.
_USERS = {
    "resolve_percentages": (
        "weasyprint.layout.percent",
        "weasyprint.layout.inline",
        "weasyprint.layout.block",
        "weasyprint.layout.table",
        "weasyprint.layout.page",
        "weasyprint.layout.float",
        "weasyprint.layout.absolute",
        "weasyprint.layout.column",
        "weasyprint.layout.grid",
    ),
    "avoid_collisions": ("weasyprint.layout.float", "weasyprint.layout.inline", "weasyprint.layout.block"),
    "layout_box_backgrounds": ("weasyprint.layout.background",),
}


def install() -> None:
    """Point WeasyPrint's modules at this module's versions (once per process), each only when WeasyPrint's own is
    the version it was written for."""
    import importlib

    if _original:
        return
    ours = {
        "resolve_percentages": resolve_percentages,
        "avoid_collisions": avoid_collisions,
        "layout_box_backgrounds": layout_box_backgrounds,
    }
    from weasyprint.text.line_break import Layout

    layout_class = pdf_lines._original_layout or Layout  # WeasyPrint's own (pdf_lines puts a subclass in its place)
    _original["setup"] = layout_class.setup
    if digest(layout_class.setup) == _THEIRS_SHA256["setup"]:
        layout_class.setup = layout_setup
    for name, users in _USERS.items():
        theirs = getattr(importlib.import_module(users[0]), name)
        _original[name] = theirs
        if digest(theirs) != _THEIRS_SHA256[name]:
            continue
        for module_name in users:
            module = importlib.import_module(module_name)
            if getattr(module, name, None) is theirs:
                setattr(module, name, ours[name])


def digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def resolve_percentages(box: Any, containing_block: Any) -> None:
    """``weasyprint.layout.percent.resolve_percentages``: the used values a style gave in a containing block of this
    size, set at once."""
    boxes = _boxes()
    style = box.style
    values = _PERCENT_READS(style)
    if values[-1] == "collapse":  # a collapsed border's width is the box's own, resolved from its neighbours'
        _original["resolve_percentages"](box, containing_block)
        return
    if isinstance(containing_block, boxes.Box):
        size = (containing_block.width, containing_block.height, isinstance(box, boxes.PageBox))
    else:
        size = (*containing_block, isinstance(box, boxes.PageBox))
    kept: dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, Any]]] = style.__dict__.setdefault(
        "_lending_percentages", {}
    )
    found = kept.get(size)
    if found is not None and found[0] == values:
        box.__dict__.update(found[1])
        return
    _original["resolve_percentages"](box, containing_block)
    if len(kept) < KEPT_PER_STYLE or found is not None:
        kept[size] = (values, {name: box.__dict__[name] for name in _PERCENT_SETS})


def avoid_collisions(context: Any, box: Any, containing_block: Any, outer: bool = True) -> tuple[Any, Any, Any]:
    """``weasyprint.layout.float.avoid_collisions``: with no float on the page, the containing block's edges."""
    if context.excluded_shapes or containing_block.style["direction"] != "ltr":
        return _original["avoid_collisions"](context, box, containing_block, outer)  # type: ignore[no-any-return]
    boxes = _boxes()
    position_y = box.position_y if outer else box.border_box_y()
    if box.border_height() == 0 and box.is_floated():
        return 0, position_y, containing_block.width
    max_left_bound = containing_block.content_box_x()
    max_right_bound = max_left_bound + containing_block.width
    if not outer:
        max_left_bound += box.margin_left
        max_right_bound -= box.margin_right
    assert (
        box.is_floated()
        or isinstance(box, boxes.LineBox)
        or box.is_table_wrapper
        or isinstance(box, boxes.BlockReplacedBox)
        or box.establishes_formatting_context()
    )
    position_x = max_left_bound
    if not outer:
        position_x -= box.margin_left
        position_y -= box.margin_top
    return position_x, position_y, max_right_bound - max_left_bound


def layout_box_backgrounds(
    page: Any, box: Any, get_image_from_uri: Any, layout_children: bool = True, style: Any = None
) -> None:
    """``weasyprint.layout.background.layout_box_backgrounds``: no background for a box whose style has none to
    draw (its border radii resolved and its children laid out as WeasyPrint does)."""
    if style is not None or box is page or not _draws_nothing(box.style):
        _original["layout_box_backgrounds"](page, box, get_image_from_uri, layout_children, style)
        return
    from weasyprint.layout.percent import resolve_radii_percentages

    resolve_radii_percentages(box)
    if layout_children:
        for child in box.all_children():
            layout_box_backgrounds(page, child, get_image_from_uri)
    box.background = None


def _boxes() -> Any:
    """``weasyprint.formatting_structure.boxes`` (a package's module imported in a function costs a call a time)."""
    import sys

    return sys.modules["weasyprint.formatting_structure.boxes"]


def layout_setup(self: Any, style: Any) -> None:
    """``weasyprint.text.line_break.Layout.setup``, a line's Pango layout made ready for its style, with the Pango
    context and font description it gives kept on the style: WeasyPrint makes them again for every line."""
    kept = style.__dict__.get("_lending_layout")
    if kept is None:
        kept = style.__dict__["_lending_layout"] = _layout_settings(style)
    if not kept:
        _original["setup"](self, style)
        return
    from weasyprint.text.ffi import ffi, gobject, pango

    description, language, pango_context = kept
    self.style = style
    self.first_line_direction = 0
    self.language = language
    self.layout = ffi.gc(pango.pango_layout_new(pango_context), gobject.g_object_unref)
    pango.pango_layout_set_auto_dir(self.layout, False)
    pango.pango_layout_set_font_description(self.layout, description)
    self.ascent = self.underline_position = self.strikethrough_position = None


def _layout_settings(style: Any) -> tuple[Any, ...]:
    """What ``Layout.setup`` makes of ``style`` that does not change (a Pango font description, which a layout copies,
    a Pango language, which Pango never frees, and a Pango context set as WeasyPrint sets one, which nothing changes
    afterwards), or nothing for a style it sets more on: text decorations (font metrics) and OpenType features
    (attributes a layout's text may change). Styles are kept per process and thread (pdf_styles), so is a context."""
    from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
    from weasyprint.text.ffi import ffi, gobject, pango, unicode_to_char_p
    from weasyprint.text.fonts import font_features, get_font_description

    features = font_features(
        style["font_kerning"],
        style["font_variant_ligatures"],
        style["font_variant_position"],
        style["font_variant_caps"],
        style["font_variant_numeric"],
        style["font_variant_alternates"],
        style["font_variant_east_asian"],
        style["font_feature_settings"],
    )
    if features or style["text_decoration_line"] != "none":
        return ()
    override = style["font_language_override"]
    lang = LST_TO_ISO.get(override.lower(), override) if override != "normal" else style["lang"]
    pango_context = ffi.gc(pango.pango_font_map_create_context(style.font_config.font_map), gobject.g_object_unref)
    pango.pango_context_set_round_glyph_positions(pango_context, False)
    pango.pango_context_set_base_dir(pango_context, PANGO_DIRECTION[style["direction"]])
    language = pango.pango_language_get_default()
    if lang:
        lang_p, lang_bytes = unicode_to_char_p(lang)
        if lang_bytes:
            language = pango.pango_language_from_string(lang_p)
            pango.pango_context_set_language(pango_context, language)
    return get_font_description(style), language, pango_context


def _draws_nothing(style: Any) -> bool:
    """Whether ``style`` gives a box no background, border image or mask border image (kept on the style)."""
    kept: bool | None = style.__dict__.get("_lending_draws_nothing")
    if kept is None:
        from weasyprint.draw.color import get_color

        kept = style.__dict__["_lending_draws_nothing"] = (
            style["border_image_source"][0] == "none"
            and style["mask_border_source"][0] == "none"
            and not style["box_shadow"]
            and (
                style["visibility"] == "hidden"
                or (
                    all(kind != "url" and not value for kind, value in style["background_image"])
                    and get_color(style, "background_color").alpha == 0
                )
            )
        )
    return kept
