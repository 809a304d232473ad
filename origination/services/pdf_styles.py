"""WeasyPrint's cascade with computed styles shared from one document to the next (pdf_render installs it once per
process).

WeasyPrint computes an element's style lazily, property by property, as layout first reads it, and shares one
computed style between the elements of a document that have the same parent style, the same own declarations and
match the same rules. A worker renders thousands of documents from the same few stylesheets, parsed once per
process (``disclosures._stylesheet`` marks them): here that sharing reaches from one document to the next, so a
statement's styles are computed once per process, not once per statement. ``StyleFor.__init__`` is WeasyPrint's
own, with its per-document cache backed by one kept on the process's font configuration.

A style is shared across documents only when its key cannot name something else later: every rule it matched comes
from a marked stylesheet (kept alive, so their ids are never reused), its own declarations (a style attribute, the
``lang`` or ``id`` hints) are compared by their text, its parent style is itself shared (the root's key holds the
base URL), and it names no anchor (anchors are collected per document as a style is made). A shared element's
pseudo-elements (``br::before``, ``li::marker``) share theirs by its key, and a page's styles (its own and its
margin boxes') are shared by page type when the root's style is shared and every sheet with page rules is marked
(``_set_page_styles``): a one-page statement computed ~900 style values for these, every time (none now). The rest
is computed per document as before. The same PDF bytes (tests/origination/test_pdf_styles.py compares whole
documents). Were a later WeasyPrint to change ``StyleFor.__init__`` or ``set_page_type_computed_styles``, the install
leaves it alone (its source's digest is checked).
"""

from __future__ import annotations

import hashlib
import inspect
from math import inf
from typing import Any

# sha256 of WeasyPrint 70.0's StyleFor.__init__ source, the function _init copies.
_THEIRS_SHA256 = "b1e725a7552502aa00f0bc07aec79c1aa49365b107a889085161f8d6a4c4a836"
# sha256 of WeasyPrint 70.0's layout.page.set_page_type_computed_styles, which _set_page_styles calls or stands for.
_THEIRS_PAGE_SHA256 = "4e68b396b35c4a0640453f413be69acdc81a82b37e0f806fd00999c937a126bb"
SHARED_MAX = 20_000  # styles kept per font configuration: a document with ever new ids cannot grow it unbounded
SHEETS_MAX = 64  # <style> elements' sheets kept per process: a template printing ever new CSS cannot grow it unbounded
_original: Any = None
_original_find: Any = None
_original_compile: Any = None
_original_page: Any = None
_compiled: dict[tuple[str, ...], list[Any]] = {}
_sheets: dict[tuple[str, str | None, str], Any] = {}


def install() -> None:
    """Point WeasyPrint's ``StyleFor.__init__`` at ``_init`` (once per process), when it is the copied version."""
    global _original, _original_find, _original_compile, _original_page
    from cssselect2 import ElementWrapper
    from weasyprint import css
    from weasyprint.css import StyleFor
    from weasyprint.layout import page

    if _original is None and theirs_digest() == _THEIRS_SHA256:
        _original = StyleFor.__init__
        StyleFor.__init__ = _init
        _original_find = css.find_stylesheets
        css.find_stylesheets = _find_stylesheets
        if _original_page is None and page_digest() == _THEIRS_PAGE_SHA256:
            _original_page = page.set_page_type_computed_styles
            page.set_page_type_computed_styles = _set_page_styles
    if _original_compile is None:
        _original_compile = ElementWrapper._compile
        ElementWrapper._compile = staticmethod(_compile)


def theirs_digest() -> str:
    from weasyprint.css import StyleFor

    function = _original if _original is not None else StyleFor.__init__
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def page_digest() -> str:
    from weasyprint.layout import page

    function = _original_page if _original_page is not None else page.set_page_type_computed_styles
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def share(sheet: Any) -> Any:
    """Mark ``sheet`` (a WeasyPrint ``CSS`` kept for the life of the process) as one whose rules styles may be shared
    by."""
    sheet._lending_shared = True
    return sheet


def _find_stylesheets(*args: Any) -> Any:
    """``weasyprint.css.find_stylesheets``, a document's own sheets in source order, with the sheet of a ``<style>``
    element that holds no at-rule parsed once per process and shared (``_kept_sheet``): a template's ``<style>``
    (the letterhead's, the schedule's) was parsed again for every document, and the elements it styled, with all
    their descendants, computed their styles again too. An element with an at-rule (an ``@page``, whose rules go to the
    document's list), a ``type`` or ``media``, or a ``<link>``: WeasyPrint's own way."""
    from weasyprint import CSS
    from weasyprint.css import get_child_text

    (
        wrapper_element,
        media_type,
        url_fetcher,
        base_url,
        font_config,
        counter_style,
        color_profiles,
        page_rules,
        layers,
    ) = args
    elements = [element for element in wrapper_element.etree_element.iter() if element.tag in ("style", "link")]
    if any(element.tag != "style" or element.keys() for element in elements):
        yield from _original_find(*args)
        return
    for element in elements:
        content = get_child_text(element)
        if "@" not in content:
            yield _kept_sheet(content, base_url, media_type)
            continue
        yield CSS(
            string=content,
            base_url=base_url,
            url_fetcher=url_fetcher,
            media_type=media_type,
            font_config=font_config,
            counter_style=counter_style,
            page_rules=page_rules,
            color_profiles=color_profiles,
            layers=layers,
        )


def _compile(selectors: tuple[Any, ...]) -> list[Any]:
    """cssselect2's ``ElementWrapper._compile``, the selectors given as text compiled once per process: WeasyPrint
    queries every document for its ``style``/``link`` and ``title``/``meta``/``link`` elements, and cssselect2
    parsed those selectors and ``eval``-ed their tests again each time. A compiled test is a function of its
    selector's text alone (no namespaces are given)."""
    if not all(isinstance(selector, str) for selector in selectors):
        return _original_compile(selectors)  # type: ignore[no-any-return]
    tests = _compiled.get(selectors)
    if tests is None:
        tests = _compiled[selectors] = _original_compile(selectors)
    return tests


def _kept_sheet(content: str, base_url: str | None, media_type: str) -> Any:
    """The shared sheet of a ``<style>`` element's ``content`` without at-rules (so no page rules, layers, fonts or
    counter styles: nothing the document's own lists would hold), parsed once per process."""
    from weasyprint import CSS

    key = (content, base_url, media_type)
    sheet = _sheets.get(key)
    if sheet is None:
        if len(_sheets) >= SHEETS_MAX:
            _sheets.clear()  # (a style shared by a sheet let go keeps it alive in its key: no id is reused)
        sheet = _sheets[key] = share(CSS(string=content, base_url=base_url, media_type=media_type))
    return sheet


def _shared(font_config: Any) -> tuple[dict[Any, Any], set[int]]:
    """The styles shared by documents rendered with ``font_config`` (one per thread), by key, and their ids."""
    kept: tuple[dict[Any, Any], set[int]] | None = font_config.__dict__.get("_lending_styles")
    if kept is None or len(kept[0]) > SHARED_MAX or len(_shared_pseudo(font_config)) > SHARED_MAX:
        kept = font_config.__dict__["_lending_styles"] = ({}, set())
        font_config.__dict__["_lending_pseudo_styles"] = {}  # (its keys name the ids of the styles let go)
    return kept


def _shared_pseudo(font_config: Any) -> dict[Any, Any]:
    """The pseudo-element and page styles shared with ``_shared``'s (emptied with them): by the element's shared key
    and pseudo type, or by page type."""
    return font_config.__dict__.setdefault("_lending_pseudo_styles", {})  # type: ignore[no-any-return]


def _init(
    self: Any, html: Any, sheets: Any, presentational_hints: Any, font_config: Any, target_collector: Any
) -> None:
    """WeasyPrint's ``StyleFor.__init__``, its computed-style cache backed by ``_shared``: the lines marked "ours"
    are the only change."""
    from weasyprint.css import declaration_precedence, find_style_attributes, preprocess_declarations

    cascaded_styles: dict[Any, Any] = {}
    computed_styles: dict[Any, Any] = {}
    self._cascaded_styles, self._computed_styles = cascaded_styles, computed_styles
    self.initial_page_sizes = {"box": None, "area": None}
    self._sheets = sheets
    self.font_config = font_config

    layer_order = inf
    elements_declarations: dict[Any, Any] = {}
    for specificity, element, declarations, base_url in find_style_attributes(
        html.etree_element, presentational_hints, html.base_url
    ):
        style = cascaded_styles.setdefault((element, None), {})
        elements_declarations[element] = tuple(declarations)
        for name, values, importance in preprocess_declarations(base_url, declarations):
            precedence = declaration_precedence("author", importance)
            weight = (precedence, layer_order, specificity)
            old_weight = style.get(name, (None, None))[1]
            if old_weight is None or old_weight <= weight:
                style[name] = values, weight

    shared, shared_ids = _shared(font_config)  # ours
    shared_pseudo, element_keys = _shared_pseudo(font_config), {}  # ours
    computed_cache: dict[Any, Any] = {}
    for element in html.wrapper_element.iter_subtree():
        etree_element = element.etree_element
        parent = element.parent.etree_element if element.parent else None
        parent_id = id(computed_styles[parent, None]) if element.parent else None
        element_declarations = elements_declarations.get(etree_element)
        selectors_keys: list[Any] = []
        shareable = parent_id is None or parent_id in shared_ids  # ours
        for sheet, origin, sheet_specificity in sheets:
            for selector in sheet.matcher.match(element):
                specificity, _order, pseudo_type, (declarations, layer) = selector
                layer_order = inf if layer is None else sheet.layers.index(layer)
                selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                shareable = shareable and getattr(sheet, "_lending_shared", False)  # ours
                specificity = sheet_specificity or specificity
                style = cascaded_styles.setdefault((etree_element, pseudo_type), {})
                for name, values, importance in declarations:
                    precedence = declaration_precedence(origin, importance)
                    weight = (precedence, layer_order, specificity)
                    old_weight = style.get(name, (None, None))[1]
                    if old_weight is None or old_weight <= weight:
                        style[name] = values, weight

        key = (parent_id, element_declarations, tuple(selectors_keys))
        shared_key = _shared_key(parent_id, html.base_url, element_declarations, key[2]) if shareable else None  # ours
        if key in computed_cache:
            computed_styles[etree_element, None] = computed_cache[key]
        elif shared_key in shared:  # ours
            computed_styles[etree_element, None] = computed_cache[key] = shared[shared_key]
        else:
            self.set_computed_styles(
                etree_element,
                root=html.etree_element,
                parent=parent,
                base_url=html.base_url,
                target_collector=target_collector,
            )
            computed = computed_cache[key] = computed_styles[etree_element, None]
            if shared_key is not None and not computed["anchor"]:  # ours
                shared[shared_key] = computed
                shared_ids.add(id(computed))
        if shared_key is not None and id(computed_styles[etree_element, None]) in shared_ids:  # ours
            element_keys[etree_element] = shared_key

    for element, pseudo_type in cascaded_styles:
        if pseudo_type:
            pseudo_key = (element_keys[element], pseudo_type) if element in element_keys else None  # ours
            if pseudo_key in shared_pseudo:  # ours
                computed_styles[element, pseudo_type] = shared_pseudo[pseudo_key]
                continue
            self.set_computed_styles(
                element,
                pseudo_type=pseudo_type,
                root=html.etree_element,
                parent=element,
                base_url=html.base_url,
                target_collector=target_collector,
            )
            computed = computed_styles[element, pseudo_type]  # ours
            if pseudo_key is not None and not computed["anchor"]:  # ours
                shared_pseudo[pseudo_key] = computed

    self._cascaded_styles.clear()


def _shared_key(parent_id: int | None, base_url: str | None, declarations: Any, selectors_keys: tuple[Any, ...]) -> Any:
    """A style's key across documents: its own declarations by their text (a document's are parsed anew), the base
    URL for the root (whose descendants' keys name its style)."""
    own = None if declarations is None else tuple(declaration.serialize() for declaration in declarations)
    return (parent_id, base_url if parent_id is None else None, own, selectors_keys)


def _set_page_styles(page_type: Any, html: Any, style_for: Any) -> None:
    """``weasyprint.layout.page.set_page_type_computed_styles``, the page's style and its margin boxes' kept per
    process by page type: they are computed from the page rules and the root's style alone, and WeasyPrint made
    them again for every page of every document. Each document gets its own copy of the page's style (its values
    copied, none computed), since layout sets the document's ``overflow`` (the root's or body's) on it; the page
    counters layout makes standard on these styles come out the same however often it does."""
    key = _page_key(page_type, html, style_for)
    kept = _shared_pseudo(style_for.font_config).get(key) if key is not None else None
    if kept is not None:
        for pseudo_type, style in kept.items():
            style_for._computed_styles[page_type, pseudo_type] = style
        page = style_for._computed_styles[page_type, None] = kept[None].copy()
        page.initial_page_sizes = style_for.initial_page_sizes
        page.__dict__["anonymous_style"] = kept[None].anonymous_style  # (inherited values only: no overflow)
        return
    _original_page(page_type, html, style_for)
    if key is not None:
        computed = style_for._computed_styles.items()
        styles = {pseudo: style for (owner, pseudo), style in computed if owner == page_type}
        styles[None]["display"]  # StyleFor.__call__ reads it of every copy (which holds values): computed once here
        _shared_pseudo(style_for.font_config)[key] = styles


def _page_key(page_type: Any, html: Any, style_for: Any) -> Any:
    """A page type's key across documents: the root's shared style (its key holds the base URL) and the sheets
    with page rules, when all of them are marked (a document's own ``@page`` is parsed anew each time)."""
    root = style_for._computed_styles.get((html.etree_element, None))
    if root is None or id(root) not in _shared(style_for.font_config)[1]:
        return None
    sheets = tuple(entry for entry in style_for._sheets if entry[0].page_rules)
    if not all(getattr(sheet, "_lending_shared", False) for sheet, _origin, _specificity in sheets):
        return None
    return ("@page", page_type, id(root), sheets)
