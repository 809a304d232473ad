"""Helpers for table rows drawn in Python (``format_html`` a row) instead of template markup: a row-heavy table's
cells cost a variable node, a filter and an escape each as markup (20-70 us a cell with its ``{% if %}`` blocks,
issue 15 "Load"). Each helper gives the text the template gave: ``day`` is ``{{ value|date:fmt }}``, ``label`` is
``{{ instance.get_FOO_display }}``. Not a tag library: the apps' tags (``servicing/templatetags/loan_rows.py``,
``origination/templatetags/pipeline_rows.py``) import them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.db.models import Field, Model
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.hashable import make_hashable
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

from lending.core.templatetags.dates import date

# What html.escape replaces: a text without any of these is its own escape (most cells: amounts, dates, numbers).
_TO_ESCAPE = re.compile("[&<>\"']")


def escaped(value: Any) -> str:
    """``conditional_escape(value)``, without the lazy-argument wrapper Django puts around ``escape`` (a generator
    over the arguments on every call): the same text, a fraction of the cost, for the 10-26 cells of each row. A
    plain string first (most cells), and only a text holding one of html.escape's characters goes through it."""
    if type(value) is not str:  # a subclass (SafeString) may know its own HTML
        if isinstance(value, Promise):
            value = str(value)
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    return html.escape(value) if _TO_ESCAPE.search(value) else value


def format_row(format_string: str, *args: Any) -> SafeString:
    """``format_html(format_string, *args)``: each argument escaped by ``escaped``, the same HTML (a queue row of 13
    cells: 184 -> 28 us, measured on a busy machine). SafeString of the text, as mark_safe makes it of a str, without
    mark_safe's lazy-argument wrapper (about 1 us a row)."""
    return SafeString(format_string.format(*map(escaped, args)))


def day(value: Any, fmt: str) -> str:
    """``{{ value|date:fmt }}``: the filter expects local time, as Django gives it."""
    return date(template_localtime(value), fmt)


@cache
def _labels(field: Field) -> dict[Any, Any] | None:
    """A field's choices as ``get_FOO_display()`` reads them, made once per process (Django makes the dict on every
    call: 10-20 us a cell, some 150 cells on a page of transactions); None for choices a callable gives."""
    if not isinstance(field.choices, list | tuple):
        return None
    return dict(make_hashable(field.flatchoices))


def label(instance: Model, name: str) -> str:
    """``instance.get_<name>_display()``: the value's label, the value itself when it is not one of the choices."""
    field = instance._meta.get_field(name)
    if not isinstance(field, Field) or (labels := _labels(field)) is None:
        return str(getattr(instance, f"get_{name}_display")())
    value = getattr(instance, field.attname)
    return str(force_str(labels.get(make_hashable(value), value), strings_only=True))


def joined(rows: Iterable[SafeString], separator: str = "") -> SafeString:
    """Rows (each escaped by its ``format_html``) as one piece of HTML; ``separator`` a literal."""
    return SafeString(separator.join(rows))  # each row escaped by its format_html; a literal separator
