"""crispy-forms' ``crispy`` and ``as_crispy_field`` filters, rendered once per process for a form nobody filled in
(issue 15, "Load").

crispy renders each field through two or three of its own and Django's widget templates: 2-3 ms of CPU a field, so
the collections loan page (some 20 fields in its forms) spent about two thirds of its CPU there, and the portal's
payment page a third. An unbound form renders the same HTML whenever everything the templates read of it is the
same, so the HTML is kept, keyed by all of that: the form's class, prefix, ids and renderer options, and per field its
name, type, widget, value, label, help text, requirement, widget attributes and choices. A bound form (its errors,
the values typed) is rendered by crispy each time, as is a form with a ``helper`` (its layout), a field whose
choices come from a query (a ``ModelChoiceField``) or a widget made of widgets. ``{% load crispy_once %}`` in place
of ``crispy_forms_tags``; the filters take the same arguments. ``{{ field|widget_once }}`` is ``{{ field }}`` (the
widget alone, for a form laid out by hand) kept the same way, for a bound form too (a list's filters with their values:
the queue's pages after the first): Django's widget templates cost the collections queue's filter form some 4 ms a
page.
"""

from __future__ import annotations

import threading
from typing import Any

from crispy_forms.templatetags import crispy_forms_filters
from crispy_forms.utils import TEMPLATE_PACK
from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()

MAX_KEPT = 2000  # rendered pieces kept per process; past that the oldest half goes (a day's dates, loans' amounts)
_kept: dict[tuple[Any, ...], str] = {}
_lock = threading.Lock()


@register.filter(name="crispy")
def crispy(form, template_pack=TEMPLATE_PACK, label_class="", field_class=""):
    key = _form_key(form)
    if key is None:
        return crispy_forms_filters.as_crispy_form(form, template_pack, label_class, field_class)
    return _rendered(
        ("form", key, template_pack, label_class, field_class),
        lambda: crispy_forms_filters.as_crispy_form(form, template_pack, label_class, field_class),
    )


@register.filter(name="as_crispy_field")
def as_crispy_field(field, template_pack=TEMPLATE_PACK, label_class="", field_class=""):
    form_key = _form_options(field.form) if isinstance(field, BoundField) else None
    field_key = _field_key(field) if form_key is not None else None
    if field_key is None:
        return crispy_forms_filters.as_crispy_field(field, template_pack, label_class, field_class)
    return _rendered(
        ("field", form_key, field_key, template_pack, label_class, field_class),
        lambda: crispy_forms_filters.as_crispy_field(field, template_pack, label_class, field_class),
    )


@register.filter(name="widget_once")
def widget_once(field):
    form_key = _form_options(field.form, bound=True) if isinstance(field, BoundField) else None
    field_key = _field_key(field) if form_key is not None else None
    if field_key is None:
        return str(field)
    if field.form.is_bound:  # what else a bound field's widget reads: its errors (aria-*), the initial (required)
        field_key = (*field_key, bool(field.errors), _frozen(field.initial))
    return _rendered(("widget", form_key, field_key), lambda: str(field))


def _rendered(key: tuple[Any, ...], render) -> str:
    html = _kept.get(key)
    if html is None:
        html = render()
        with _lock:
            if len(_kept) >= MAX_KEPT:
                for old in list(_kept)[: MAX_KEPT // 2]:
                    _kept.pop(old, None)
            _kept[key] = html
    return html


def _form_key(form) -> tuple[Any, ...] | None:
    """What crispy's templates read of the form as a whole; None when its HTML must be rendered each time."""
    options = _form_options(form)
    if options is None:
        return None
    fields = tuple(_field_key(form[name]) for name in form.fields)
    if None in fields:
        return None
    return (*options, fields)


def _form_options(form, *, bound: bool = False) -> tuple[Any, ...] | None:
    """What a field's HTML reads of its form (not the other fields: a field's key is its own, so a form of six
    fields does not work out 36 field keys); None for a form with a ``helper``, and for a bound form unless
    ``bound`` (a widget alone: the value typed is in the field's key, its errors and initial are added to it)."""
    if not isinstance(form, forms.BaseForm) or getattr(form, "helper", None) is not None:
        return None
    if form.is_bound and not bound:
        return None
    options = (
        form.is_bound,
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        getattr(form, "error_css_class", None),
        getattr(form, "required_css_class", None),
        type(form.renderer),
    )
    return (type(form), options)


def _field_key(bound: BoundField) -> tuple[Any, ...] | None:
    field, widget = bound.field, bound.field.widget
    if isinstance(field, forms.ModelChoiceField) or isinstance(widget, forms.MultiWidget):
        return None
    choices = getattr(widget, "choices", None)
    try:
        key = (
            bound.name,
            type(field),
            type(widget),
            _frozen(bound.value()),
            str(bound.label),
            str(field.help_text),
            field.required,
            field.disabled,
            field.show_hidden_initial,
            field.localize,
            field.label_suffix,
            widget.template_name,
            _frozen(widget.attrs),
            _frozen(list(choices)) if choices is not None else None,
            getattr(widget, "format", None),
            getattr(widget, "input_type", None),
        )
        hash(key)
    except TypeError:  # a value or choice that cannot be a key: render it each time
        return None
    return key


def _frozen(value: Any) -> Any:
    """A hashable copy of a value, a dict or a (nested) list of choices, with the type of each value beside it (so
    1 and True, or "1" and 1, are different keys)."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("seq", tuple(_frozen(item) for item in value))
    return (type(value), value if not isinstance(value, str) else str(value))
