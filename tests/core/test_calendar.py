"""Business days from US federal holidays (holidays package), in both Regulation Z senses."""

from datetime import date

import pytest

from lending.core import calendar
from lending.core.calendar import SPECIFIC


def test_thanksgiving_and_weekends_are_not_general_business_days():
    assert calendar.holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"
    assert not calendar.is_business_day(date(2026, 11, 26))
    assert not calendar.is_business_day(date(2026, 11, 28))  # Saturday
    assert calendar.is_business_day(date(2026, 11, 27))


def test_specific_business_days_count_saturdays_but_not_sundays_or_holidays():
    # Reg Z 1026.2(a)(6): all calendar days except Sundays and legal public holidays.
    assert calendar.is_business_day(date(2026, 11, 28), SPECIFIC)
    assert not calendar.is_business_day(date(2026, 11, 29), SPECIFIC)
    assert not calendar.is_business_day(date(2026, 12, 25), SPECIFIC)


def test_observed_holiday_when_july_4th_falls_on_a_saturday():
    assert not calendar.is_business_day(date(2026, 7, 3))  # observed Friday


def test_add_business_days_skips_the_thanksgiving_weekend():
    # Wednesday + 3 general business days: Fri 27, Mon 30, Tue Dec 1.
    assert calendar.add_business_days(date(2026, 11, 25), 3) == date(2026, 12, 1)
    # Specific rule counts Fri 27, Sat 28, Mon 30.
    assert calendar.add_business_days(date(2026, 11, 25), 3, SPECIFIC) == date(2026, 11, 30)
    assert calendar.add_business_days(date(2026, 12, 1), -3) == date(2026, 11, 25)
    assert calendar.add_business_days(date(2026, 11, 25), 0) == date(2026, 11, 25)


def test_business_days_between_and_rolls():
    assert calendar.business_days_between(date(2026, 11, 25), date(2026, 12, 1)) == 3
    assert calendar.business_days_between(date(2026, 12, 1), date(2026, 11, 25)) == 0
    assert calendar.next_business_day(date(2026, 11, 26)) == date(2026, 11, 27)
    assert calendar.previous_business_day(date(2026, 11, 29)) == date(2026, 11, 27)


def test_calendar_follows_the_configured_subdivision(settings):
    settings.LENDING_HOLIDAY_SUBDIVISION = "MA"
    assert not calendar.is_business_day(date(2026, 4, 20))  # Patriots' Day in Massachusetts
    settings.LENDING_HOLIDAY_SUBDIVISION = None
    assert calendar.is_business_day(date(2026, 4, 20))


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="rule"):
        calendar.is_business_day(date(2026, 11, 27), "lunar")


def test_specific_rule_counts_the_observed_friday_but_not_the_saturday_holiday_itself():
    # July 4, 2026 is a Saturday: offices close Friday July 3 (general rule), but under Reg Z's specific
    # definition only the legal public holiday itself is excluded (comment 2(a)(6)-2).
    assert not calendar.is_business_day(date(2026, 7, 3))
    assert calendar.is_business_day(date(2026, 7, 3), SPECIFIC)
    assert not calendar.is_business_day(date(2026, 7, 4), SPECIFIC)


def test_specific_rule_ignores_state_holidays(settings):
    settings.LENDING_HOLIDAY_SUBDIVISION = "MA"
    assert not calendar.is_business_day(date(2026, 4, 20))
    assert calendar.is_business_day(date(2026, 4, 20), SPECIFIC)


def test_the_reg_x_weekday_rule_skips_weekends_and_legal_public_holidays_on_their_dates(settings):
    # Reg X 1024.41(b)(2)(i)(B): "excluding legal public holidays, Saturdays, and Sundays".
    settings.LENDING_HOLIDAY_SUBDIVISION = "CA"  # a state holiday is not a legal public holiday
    assert not calendar.is_business_day(date(2026, 11, 26), calendar.WEEKDAY)  # Thanksgiving
    assert not calendar.is_business_day(date(2026, 11, 28), calendar.WEEKDAY)  # Saturday
    assert not calendar.is_business_day(date(2026, 3, 31))  # Cesar Chavez Day: California's offices close
    assert calendar.is_business_day(date(2026, 3, 31), calendar.WEEKDAY)
    # July 4 2026 is a Saturday: the observed Friday July 3 is not the legal public holiday itself.
    assert calendar.is_business_day(date(2026, 7, 3), calendar.WEEKDAY)
    # Wed Jul 1 2026 + 5: Jul 2 (1), Jul 3 (2), Jul 6 (3), Jul 7 (4), Wed Jul 8 (5).
    assert calendar.add_business_days(date(2026, 7, 1), 5, calendar.WEEKDAY) == date(2026, 7, 8)
