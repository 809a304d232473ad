"""The base FilterSet of every report: its filters plus the report's "as of" date.

``as_of`` is always set: the view fills in the current business date when the request has none, so the filter form
shows the date the figures are for. A report whose rows depend on the date overrides ``filter_as_of`` (e.g. payments
effective on or before it); the view also exposes the date as ``self.as_of`` for its summaries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django_filters.fields import ModelChoiceField, ModelChoiceIterator

# Dates a report accepts: beyond them date arithmetic (a month later, a year before) would overflow or mean nothing.
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)


SELECT_CSS = "form-select form-select-sm"
INPUT_CSS = "form-control form-control-sm"


class DateInput(forms.DateInput):
    input_type = "date"


class _ListedOptions(ModelChoiceIterator):
    """The options of a ``ListedModelChoiceField``: its one read of the queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.field.options():
            yield self.choice(obj)

    def __len__(self) -> int:
        blanks = (self.field.empty_label is not None) + (self.field.null_label is not None)
        return len(self.field.options()) + blanks

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.options())


class ListedModelChoiceField(ModelChoiceField):
    """A model choice whose options are read once per form: the chosen value is checked against the options the
    select lists. Django's field looks the value up with a query of its own, so a page filtered by it ran one query
    more than the page without the filter (issue 15: a constant query count)."""

    iterator = _ListedOptions
    _options: list[Model] | None = None

    def _set_queryset(self, queryset: QuerySet | None) -> None:
        self._options = None
        super()._set_queryset(queryset)

    queryset = property(ModelChoiceField._get_queryset, _set_queryset)

    def options(self) -> list[Model]:
        if self._options is None:
            self._options = list(self.queryset)
        return self._options

    def to_python(self, value: Any) -> Any:
        if self.null_label is not None and value == self.null_value:
            return value
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        model = self.queryset.model
        key = model._meta.pk if not self.to_field_name else model._meta.get_field(self.to_field_name)
        if isinstance(value, model):
            value = getattr(value, key.attname)
        try:
            wanted = key.to_python(value)
        except ValidationError:
            wanted = None
        for option in self.options():
            if wanted is not None and getattr(option, key.attname) == wanted:
                return option
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` with a ``ListedModelChoiceField``: the same query count with or without a choice."""

    field_class = ListedModelChoiceField


class ReportFilterSet(django_filters.FilterSet):
    as_of = django_filters.DateFilter(label="As of", method="filter_as_of", widget=DateInput)

    def filter_as_of(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        """The rows as of ``value``; most reports' rows do not depend on it (their summaries do)."""
        return queryset

    @classmethod
    def parse_as_of(cls, value: str) -> date | None:
        """The "as of" date in ``value``, or None when the form will refuse it."""
        field = cls.base_filters["as_of"].field
        try:
            parsed = field.clean(value)
            _in_range(parsed)
        except forms.ValidationError:
            return None
        return parsed

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
                field.validators.append(_in_range)
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", SELECT_CSS if select else INPUT_CSS)


def _in_range(value: date | None) -> None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(f"Enter a date between {EARLIEST:%Y} and {LATEST:%Y}.")


def date_range_filters(field_name: str, label: str = "") -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """A "from" and a "to" filter (inclusive) on a date field, for ``date_from, date_to = date_range_filters(...)``."""
    prefix = f"{label} " if label else ""
    return (
        django_filters.DateFilter(field_name=field_name, lookup_expr="gte", label=f"{prefix}From", widget=DateInput),
        django_filters.DateFilter(field_name=field_name, lookup_expr="lte", label=f"{prefix}To", widget=DateInput),
    )
