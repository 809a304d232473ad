"""The base FilterSet of every report: its filters plus the report's "as of" date.

``as_of`` is always set: the view fills in the current business date when the request has none, so the filter form
shows the date the figures are for. A report whose rows depend on the date overrides ``filter_as_of`` (e.g. payments
effective on or before it); the view also exposes the date as ``self.as_of`` for its summaries.
"""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db.models import QuerySet

# Dates a report accepts: beyond them date arithmetic (a month later, a year before) would overflow or mean nothing.
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)


SELECT_CSS = "form-select form-select-sm"
INPUT_CSS = "form-control form-control-sm"


class DateInput(forms.DateInput):
    input_type = "date"


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
