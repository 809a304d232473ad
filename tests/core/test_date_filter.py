"""``{{ value|date:"..." }}`` prints what Django's own date filter prints, for calendar dates (remembered once
formatted), datetimes (in the current time zone), empty values and formats named by a setting."""

from datetime import UTC, date, datetime

from django.template import engines
from django.template.defaultfilters import date as django_date

from lending.core.templatetags.dates import _date_text

TEMPLATE = '{{ d|date:"Y-m-d" }}|{{ d|date:"M j, Y" }}|{{ d|date:"F j, Y" }}|{{ d|date:"m/d/Y" }}|{{ d|date:"M Y" }}'


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_a_calendar_date_prints_as_django_prints_it_every_time():
    for _ in range(2):  # the second rendering reads the remembered text
        assert _render(TEMPLATE, d=date(2026, 1, 5)) == "2026-01-05|Jan 5, 2026|January 5, 2026|01/05/2026|Jan 2026"
        assert (
            _render(TEMPLATE, d=date(2031, 9, 30)) == "2031-09-30|Sep 30, 2031|September 30, 2031|09/30/2031|Sep 2031"
        )
    before = _date_text.cache_info().hits
    assert _render('{{ d|date:"Y-m-d" }}', d=date(2026, 1, 5)) == "2026-01-05"
    assert _date_text.cache_info().hits == before + 1  # every template's date filter is the remembering one
    for day in (date(2026, 2, 28), date(2028, 2, 29), date(1999, 12, 31)):
        for fmt in ("Y-m-d", "M j, Y", "F j, Y", "D, N j", "l jS F Y", "y n/j"):
            assert _render(f'{{{{ d|date:"{fmt}" }}}}', d=day) == django_date(day, fmt)


def test_a_datetime_prints_in_the_lenders_time_zone_and_nothing_prints_for_no_date(settings):
    settings.TIME_ZONE = "America/New_York"
    moment = datetime(2026, 1, 5, 3, 30, tzinfo=UTC)  # 22:30 the evening before in New York
    assert _render('{{ t|date:"Y-m-d H:i" }}|{{ t|date:"Y-m-d" }}', t=moment) == "2026-01-04 22:30|2026-01-04"
    assert _render('[{{ d|date:"Y-m-d" }}][{{ d|date:"Y-m-d"|default:"-" }}]', d=None) == "[][-]"
    assert _render('[{{ d|date:"Y-m-d" }}]', d="") == "[]"


def test_no_format_or_a_named_one_prints_the_locales_format_as_django_does():
    day = date(2026, 7, 4)
    assert _render('{{ d|date }}|{{ d|date:"SHORT_DATE_FORMAT" }}', d=day) == "July 4, 2026|07/04/2026"
    assert _render('{{ d|date:"DATE_FORMAT" }}', d=day) == django_date(day, "DATE_FORMAT") == "July 4, 2026"
