"""A changelist's result rows, the markup of the admin's ``{% result_list cl %}`` built with per-page work done once.

The admin's ``items_for_result`` formats each cell on its own: the row link is reversed, and a date or a choice
formatted, fifty times a page, each through several lazy-aware helpers; on the loan changelist that was over a third
of the page's CPU (issue 15). Here the change URL is reversed once (the pk put in its place), a cell's display is
computed once per distinct value on the page, and the cells are joined without ``format_html``'s per-argument
wrappers. Same cells, same classes, same links: tests/servicing/test_admin_readonly.py renders a page both ways.
Only for a plain list (nothing editable, no popup or to_field, the changelist's own ``url_for_result``): else
``None``, and the changelist template renders the admin's own tag.
"""

from __future__ import annotations

import datetime
from html import escape

from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field, quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse

from servicing.admin.readonly import joined

PK_MARK = "~pk~"  # reversed in the pk's place, then replaced (RFC 3986 keeps "~" as is)


def _html(value) -> str:
    """``conditional_escape`` without its lazy-argument wrapper: the same text."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _column_name(name, index: int) -> str:
    """The name in a column's ``field-<name>`` class, as the admin's ``items_for_result`` writes it."""
    if callable(name):
        return f"lambda{index}" if name.__name__ == "<lambda>" else name.__name__
    return name


class ResultRows:
    """The ``{% result_list cl %}`` markup of a plain changelist, rendered when the template prints it."""

    def __init__(self, cl):
        self.cl = cl

    @classmethod
    def for_changelist(cls, cl) -> ResultRows | None:
        plain = (
            not cl.formset
            and not cl.is_popup
            and not cl.to_field
            and type(cl).url_for_result is ChangeList.url_for_result  # reversed here, not by the changelist
        )
        return cls(cl) if plain else None

    def __html__(self) -> str:
        cl = self.cl
        headers = list(result_headers(cl))
        context = {
            "cl": cl,
            "result_hidden_fields": [],
            "result_headers": headers,
            "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
            "results": [_Row(cells) for cells in self._rows()],
        }
        return render_to_string("admin/change_list_results.html", context)

    def __str__(self) -> str:
        return self.__html__()

    def _rows(self):
        cl = self.cl
        model_admin = cl.model_admin
        empty = model_admin.get_empty_value_display()
        columns = [(name, f"field-{_column_name(name, i)}") for i, name in enumerate(cl.list_display)]
        url_of = self._url_maker()
        links = [self._links(index == 0, name) for index, name in enumerate(cl.list_display)]
        shown: dict = {}  # (column, type, value) -> display: a page repeats statuses, products and dates
        for result in cl.result_list:
            cells, first = [], True
            for index, (name, row_class) in enumerate(columns):
                cells.append(self._cell(result, index, name, row_class, empty, shown, url_of, links[index], first))
                first = first and not links[index]
            yield cells

    def _links(self, is_first: bool, name) -> bool:
        """``items_for_result``'s ``link_in_col``: whether the column links the row's change page."""
        links = self.cl.list_display_links
        if links is None:
            return False
        if is_first and not links:
            return True
        return name in links

    def _cell(self, result, index, name, row_class, empty, shown, url_of, link: bool, first: bool) -> str:
        classes = row_class
        try:
            f, attr, value = lookup_field(name, result, self.cl.model_admin)
        except ObjectDoesNotExist:
            result_repr = empty
        else:
            empty_value = getattr(attr, "empty_value_display", empty)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if f is None or f.auto_created:
                if name == "action_checkbox":
                    classes = "action-checkbox"
                boolean = getattr(attr, "boolean", False)
                if isinstance(attr, property) and hasattr(attr, "fget"):
                    boolean = getattr(attr.fget, "boolean", False)
                result_repr = display_for_value(value, empty_value, boolean)
                if isinstance(value, datetime.date | datetime.time):
                    classes += " nowrap"
            else:
                if isinstance(f.remote_field, models.ManyToOneRel):
                    field_val = getattr(result, f.name)
                    result_repr = empty_value if field_val is None else field_val
                else:
                    result_repr = self._display(shown, index, value, f, empty_value, link)
                if isinstance(f, models.DateField | models.TimeField | models.ForeignKey):
                    classes += " nowrap"
        if link:
            tag = "th" if first else "td"
            return f'<{tag} class="{classes}"><a href="{_html(url_of(result))}">{_html(result_repr)}</a></{tag}>'
        return f'<td class="{classes}">{_html(result_repr)}</td>'

    @staticmethod
    def _display(shown: dict, index: int, value, field, empty_value, avoid_link: bool):
        if field.is_relation:  # a related object's display may depend on more than its key
            return display_for_field(value, field, empty_value, avoid_link=avoid_link)
        key = (index, type(value), value)
        try:
            return shown[key]
        except KeyError:
            shown[key] = display_for_field(value, field, empty_value, avoid_link=avoid_link)
            return shown[key]
        except TypeError:  # an unhashable value
            return display_for_field(value, field, empty_value, avoid_link=avoid_link)

    def _url_maker(self):
        """``url_for_result`` with the list's preserved filters, as ``items_for_result`` links a row."""
        cl = self.cl
        opts = cl.opts
        marked = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(PK_MARK,),
            current_app=cl.model_admin.admin_site.name,
        )
        marked = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, marked)
        if marked.count(PK_MARK) != 1:  # the filters hold the mark too: each row reversed on its own
            return lambda result: add_preserved_filters(
                {"preserved_filters": cl.preserved_filters, "opts": opts}, cl.url_for_result(result)
            )
        before, after = marked.split(PK_MARK)
        pk = cl.pk_attname
        return lambda result: f"{before}{quote(getattr(result, pk))}{after}"


class _Row(list):
    """A row of cells as ``change_list_results.html`` iterates them (``result.form`` is None: nothing editable)."""

    form = None

    def __init__(self, cells):
        super().__init__(joined((cell,)) for cell in cells)
