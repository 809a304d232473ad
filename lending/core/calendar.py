"""The business-day calendar used for TILA-RESPA timing and due-date rolls.

Two definitions, as Regulation Z has them (12 CFR 1026.2(a)(6)):
- general business day: a day the lender's offices are open: Monday to Friday, not a holiday;
- specific business day (rescission, Loan Estimate / Closing Disclosure timing): every calendar day
  except Sundays and the legal public holidays of 5 U.S.C. 6103(a).
Holidays come from the ``holidays`` package. The general rule uses the configured calendar with observed
days (LENDING_HOLIDAY_COUNTRY, LENDING_HOLIDAY_SUBDIVISION: offices close on the observed day). The specific
rule uses only the federal legal public holidays on their actual dates: when July 4 falls on a Saturday, the
observed Friday is still a business day (Reg Z comment 2(a)(6)-2), and state holidays do not count.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone

GENERAL = "general"
SPECIFIC = "specific"
# Reg X 1024.41(b)(2)(i)(B), (c)(2)(i): "days (excluding legal public holidays, Saturdays, and Sundays)": Monday to
# Friday, not a 5 U.S.C. 6103(a) legal public holiday on its actual date (an observed Friday still counts).
WEEKDAY = "weekday"
_SUNDAY = 6


@lru_cache(maxsize=8)
def _holiday_table(country: str, subdivision: str | None, observed: bool = True) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, observed=observed)


def _holidays(rule: str = GENERAL) -> holidays.HolidayBase:
    if rule in (SPECIFIC, WEEKDAY):
        return _holiday_table("US", None, observed=False)  # 5 U.S.C. 6103(a) legal public holidays
    return _holiday_table(settings.LENDING_HOLIDAY_COUNTRY, settings.LENDING_HOLIDAY_SUBDIVISION)


def holiday_name(day: date) -> str | None:
    return _holidays().get(day)


def is_business_day(day: date, rule: str = GENERAL) -> bool:
    if rule not in (GENERAL, SPECIFIC, WEEKDAY):
        raise ValueError(f"rule: unknown business-day rule {rule!r}; use {GENERAL!r}, {SPECIFIC!r} or {WEEKDAY!r}")
    if day in _holidays(rule):
        return False
    if rule == SPECIFIC:
        return day.weekday() != _SUNDAY
    return day.weekday() < 5


def add_business_days(start: date, days: int, rule: str = GENERAL) -> date:
    """The date ``days`` business days after ``start`` (before it when negative); ``start`` itself never counts."""
    step = timedelta(days=1 if days >= 0 else -1)
    remaining = abs(days)
    current = start
    while remaining:
        current += step
        if is_business_day(current, rule):
            remaining -= 1
    return current


def business_days_between(start: date, end: date, rule: str = GENERAL) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        count += is_business_day(current, rule)
    return count


def next_business_day(day: date, rule: str = GENERAL) -> date:
    """``day`` itself when it is a business day, else the following one (the "following" roll)."""
    while not is_business_day(day, rule):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date, rule: str = GENERAL) -> date:
    while not is_business_day(day, rule):
        day -= timedelta(days=1)
    return day


def current_business_date(today: date | None = None) -> date:
    """The business date reports default to: today when the offices are open, else the last day they were (a report
    opened on a Saturday is as of Friday's close)."""
    return previous_business_day(today or timezone.localdate())
