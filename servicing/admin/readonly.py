"""The read-only change page's fieldsets and tabular inlines built in Python, the same HTML as the admin's templates.

The loan page shows about 100 read-only values: through ``admin/includes/fieldset.html`` and
``admin/edit_inline/tabular.html`` each costs a dozen template tags, and each hidden input of the inlines a widget
template, half the page's CPU (issue 15). Here the same markup (whitespace aside) is joined in one pass from the same
helper objects (``AdminReadonlyField``: its labels, its ``contents()``), so every value reads as before. Only for
forms where nothing is editable: anything else (an editable field, an add or delete permission, errors, another
inline template) returns ``None`` and the page renders through the admin's templates.
tests/servicing/test_admin_readonly.py compares the two renderings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib.admin.helpers import AdminForm, AdminReadonlyField, InlineAdminFormSet
from django.contrib.admin.utils import quote
from django.forms import BoundField
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

TABULAR = "admin/edit_inline/tabular.html"


def joined(parts: Iterable[str]) -> SafeString:
    """Markup whose every part was escaped where it was made (``format_html``, ``conditional_escape``) or is a literal
    tag of these modules, joined: the admin's templates join their output the same way."""
    return mark_safe("".join(parts))  # noqa: S308  (each part escaped where it was made)


def trusted(markup: str) -> SafeString:
    """A fieldset description or a help text: the code's own, printed unescaped by the admin's templates (|safe)."""
    return mark_safe(markup)  # noqa: S308  (the admin's templates print it with |safe)


class Editable(Exception):
    """Something on the form can be edited: the admin's own templates render it."""


def fieldsets_html(adminform: AdminForm) -> SafeString | None:
    """``{% for fieldset in adminform %}{% include "admin/includes/fieldset.html" ... %}`` when all is read-only."""
    if adminform.form.fields or adminform.form.errors:
        return None
    try:
        return joined(_fieldset(fieldset, n) for n, fieldset in enumerate(adminform))
    except Editable:
        return None


def _fieldset(fieldset, n: int) -> str:
    heading = f"fieldset-0-{n}-heading"
    parts: list[str] = [format_html('<fieldset class="module aligned {}"', fieldset.classes)]
    if fieldset.name:
        parts.append(format_html(' aria-labelledby="{}">', heading))
        collapsible = fieldset.is_collapsible
        if collapsible:
            parts.append("<details><summary>")
        parts.append(format_html('<h2 id="{}" class="fieldset-heading">{}</h2>', heading, fieldset.name))
        if collapsible:
            parts.append("</summary>")
    else:
        collapsible = False
        parts.append(">")
    if fieldset.description:
        parts.append(format_html('<div class="description">{}</div>', trusted(fieldset.description)))
    parts.extend(_line(list(_readonly(line))) for line in fieldset)
    if collapsible:
        parts.append("</details>")
    parts.append("</fieldset>")
    return "".join(parts)


def _readonly(fields: Iterable) -> Iterator[AdminReadonlyField]:
    for field in fields:
        if not isinstance(field, AdminReadonlyField):
            raise Editable
        yield field


def _line(fields: list[AdminReadonlyField]) -> str:
    names = "".join(f" field-{field.field['name']}" for field in fields if field.field["name"])
    if len(fields) == 1:
        return format_html('<div class="form-row{}">{}</div>', names, _field(fields[0], box=""))
    boxes = [
        _field(field, box=f" fieldBox field-{field.field['name']}" if field.field["name"] else " fieldBox")
        for field in fields
    ]
    return format_html(
        '<div class="form-row{}"><div class="flex-container form-multiline">{}</div></div>', names, joined(boxes)
    )


def _field(field: AdminReadonlyField, box: str) -> str:
    help_text = field.field["help_text"]
    return format_html(
        '<div><div class="flex-container{}">{}<div class="readonly">{}</div></div>{}</div>',
        box,
        field.label_tag(),
        field.contents(),
        format_html('<div class="help"><div>{}</div></div>', trusted(help_text)) if help_text else "",
    )


def inlines_html(inline_admin_formsets: list[InlineAdminFormSet]) -> SafeString | None:
    """``{% for ... %}{% include inline_admin_formset.opts.template %}{% endfor %}`` when every inline is a
    read-only tabular one."""
    if any(not _read_only_tabular(formset) for formset in inline_admin_formsets):
        return None
    last = len(inline_admin_formsets) - 1
    try:
        return joined(_tabular(formset, n == last) for n, formset in enumerate(inline_admin_formsets))
    except Editable:
        return None


def _read_only_tabular(inline_admin_formset: InlineAdminFormSet) -> bool:
    formset = inline_admin_formset.formset
    return (
        inline_admin_formset.opts.template == TABULAR
        and not inline_admin_formset.has_add_permission
        and not inline_admin_formset.has_change_permission
        and not (formset.can_delete and inline_admin_formset.has_delete_permission)
        and not formset.is_bound
    )


def _tabular(inline_admin_formset: InlineAdminFormSet, last: bool) -> str:
    formset, opts = inline_admin_formset.formset, inline_admin_formset.opts
    prefix = formset.prefix
    collapsible = inline_admin_formset.is_collapsible
    title = opts.verbose_name if formset.max_num == 1 else opts.verbose_name_plural
    parts = [
        format_html(
            '<div class="js-inline-admin-formset inline-group" id="{}-group" data-inline-type="tabular"'
            ' data-inline-formset="{}"><div class="tabular inline-related {}">',
            prefix,
            inline_admin_formset.inline_formset_data(),
            "last-related" if last else "",
        ),
        _hidden_inputs(formset.management_form),
        format_html('<fieldset class="module {}" aria-labelledby="{}-heading">', inline_admin_formset.classes, prefix),
        "<details><summary>" if collapsible else "",
        format_html('<h2 id="{}-heading" class="inline-heading">{}</h2>', prefix, capfirst(title)),
        "</summary>" if collapsible else "",
        '<table><thead><tr><th class="original"></th>',
        *(_column(field) for field in inline_admin_formset.fields()),
        "<th></th></tr></thead><tbody>",
        *(_row(form, inline_admin_formset, n) for n, form in enumerate(inline_admin_formset)),
        "</tbody></table>",
        "</details>" if collapsible else "",
        "</fieldset></div></div>",
    ]
    return "".join(parts)


def _column(field: dict) -> str:
    if field["help_text"]:  # the admin's help icon: not on the read-only inlines this module renders
        raise Editable
    hidden = " hidden" if field["widget"]["is_hidden"] else ""
    return format_html('<th class="column-{}{}">{}</th>', field["name"], hidden, capfirst(field["label"]))


def _row(inline_admin_form, inline_admin_formset: InlineAdminFormSet, n: int) -> str:
    if inline_admin_form.form.non_field_errors():
        raise Editable
    original = inline_admin_form.original
    shown = original or inline_admin_form.show_url
    cells = [
        format_html(
            '<tr class="form-row {}" id="{}-{}">', "has_original" if shown else "", inline_admin_form.formset.prefix, n
        ),
        '<td class="original">',
    ]
    if shown:
        cells.append("<p>")
        if original:
            cells.append(format_html("{} ", original))
            model_admin = inline_admin_form.model_admin
            if model_admin.show_change_link and model_admin.has_registered_model:
                cells.append(_change_link(model_admin, original, inline_admin_formset.has_change_permission))
        if inline_admin_form.show_url:
            cells.append(format_html('<a href="{}">View on site</a>', inline_admin_form.absolute_url))
        cells.append("</p>")
    if inline_admin_form.needs_explicit_pk_field():
        cells.append(_hidden_input(inline_admin_form.pk_field().field))
    fk = inline_admin_form.fk_field()
    if fk:
        cells.append(_hidden_input(fk.field))
    cells.append("</td>")
    for fieldset in inline_admin_form:
        for line in fieldset:
            for field in _readonly(line):
                hidden = " hidden" if field.field["is_hidden"] else ""
                name = f"field-{field.field['name']}" if field.field["name"] else ""
                cells.append(format_html('<td class="{}{}"><p>{}</p></td>', name, hidden, field.contents()))
    cells.append('<td class="delete"></td></tr>')
    return "".join(cells)


def _change_link(model_admin, original, may_change: bool) -> str:
    opts = model_admin.opts
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[quote(original.pk)],
        current_app=model_admin.admin_site.name,
    )
    if may_change:
        return format_html('<a href="{}" class="inlinechangelink">Change</a>', url)
    return format_html('<a href="{}" class="inlineviewlink">View</a>', url)


def _hidden_inputs(form) -> str:
    """A form of hidden fields only (the management form), as ``django/forms/div.html`` renders it unbound."""
    if form.errors or form.visible_fields():
        raise Editable
    return "".join(_hidden_input(field) for field in form.hidden_fields())


def _hidden_input(field: BoundField) -> str:
    """``{{ field }}`` of a hidden field: ``django/forms/widgets/input.html`` without a template."""
    widget = field.field.widget
    if not widget.is_hidden or field.field.localize or widget.template_name != "django/forms/widgets/hidden.html":
        raise Editable
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    value = context["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        context["type"],
        context["name"],
        format_html(' value="{}"', value) if value is not None else "",
        format_html_join("", "{}", ((_attr(name, value),) for name, value in context["attrs"].items())),
    )


def _attr(name: str, value) -> str:
    if value is False:
        return ""
    if value is True:
        return format_html(" {}", name)
    return format_html(' {}="{}"', name, value)
