"""Django's ``date`` filter, remembered for calendar dates: a schedule or history table formats dozens of dates a
page, and Django parses the format and builds a formatter for each one (20-50 us, against well under 1 us to look
the text up). The text is Django's own, computed once per process for each date, format and language; datetimes
(whose text depends on the time zone) and formats named by a setting (``SHORT_DATE_FORMAT``, or none: the
setting may change) are formatted by Django each time. A builtin (settings), so ``{{ day|date:"M j, Y" }}`` in
every template uses it (issue 15, "Load").
"""

from __future__ import annotations

from datetime import date as Date
from functools import lru_cache

from django import template
from django.template import defaultfilters
from django.utils.formats import FORMAT_SETTINGS
from django.utils.translation import get_language

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if type(value) is Date and arg and arg not in FORMAT_SETTINGS:
        return _date_text(value, str(arg), get_language())
    return defaultfilters.date(value, arg)


@lru_cache(maxsize=8192)
def _date_text(value: Date, arg: str, language: str | None) -> str:
    return defaultfilters.date(value, arg)
