"""Filters several servicing reports share (a module without a report: discovery imports it harmlessly)."""

from __future__ import annotations

import django_filters

from origination.models import LoanProduct


def product_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{name} ({code})") for code, name in LoanProduct.objects.order_by("name").values_list("code", "name")
    ]


def product_filter(field_name: str) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(field_name=field_name, choices=product_choices, label="Product")
