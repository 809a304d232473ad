"""Money in the admin, shown the one way the templates show it (``format_money``: ``$118,429.78``), not as the
raw ``118429.78`` Django renders for a DecimalField.

``MoneyAdminMixin`` finds the model's money fields (a ``DecimalField`` with two decimal places; rates have four)
among the admin's ``list_display``, ``fields``, ``fieldsets`` and ``readonly_fields`` and puts a read-only display
of each in its place (same label, sortable by the field). For the read-only servicer screens: a money field shown
this way cannot be edited in the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models

from lending.core.templatetags.money import format_money

SUFFIX = "_money"

if TYPE_CHECKING:  # the mixin goes before a ModelAdmin or an inline, whose options it reads and rewrites
    from django.contrib.admin.options import BaseModelAdmin

    _AdminBase = BaseModelAdmin[Any]
else:
    _AdminBase = object


def money_field_names(model) -> set[str]:
    return {f.name for f in model._meta.get_fields() if isinstance(f, models.DecimalField) and f.decimal_places == 2}


def money_display(model, name: str):
    """A display callable for the admin: the field ``name`` of an object as ``$1,234.56`` ("-" when empty)."""
    field = model._meta.get_field(name)

    @admin.display(description=field.verbose_name, ordering=name, empty_value="-")
    def show(obj):
        return format_money(getattr(obj, name)) or None

    show.__name__ = name + SUFFIX
    return show


def _swap(item, money: set[str]):
    if isinstance(item, str):
        return item + SUFFIX if item in money else item
    if isinstance(item, list | tuple):
        return type(item)(_swap(part, money) for part in item)
    return item


class MoneyAdminMixin(_AdminBase):
    """Every money field of the model in this admin's lists and forms is shown formatted (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        money = money_field_names(self.model)
        shown = {name for name in money if name in _names(self)}
        if not shown:
            return
        for name in shown:
            setattr(self, name + SUFFIX, money_display(self.model, name))
        if hasattr(self, "list_display"):  # a ModelAdmin, not an inline
            self.list_display = _swap(self.list_display, shown)
        if self.fields:
            self.fields = _swap(self.fields, shown)
        if self.fieldsets:
            self.fieldsets = tuple(
                (title, {**opts, "fields": _swap(opts["fields"], shown)}) for title, opts in self.fieldsets
            )
        readonly = _swap(tuple(self.readonly_fields), shown)
        self.readonly_fields = (*readonly, *(n + SUFFIX for n in sorted(shown) if n + SUFFIX not in readonly))


def _names(model_admin) -> set[str]:
    names: set[str] = set()

    def collect(item):
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, list | tuple):
            for part in item:
                collect(part)

    collect(getattr(model_admin, "list_display", ()))
    collect(model_admin.fields or ())
    collect(model_admin.readonly_fields)
    for _title, opts in model_admin.fieldsets or ():
        collect(opts["fields"])
    return names
