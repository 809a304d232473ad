"""No calls before 8 a.m. or after 9 p.m. in the borrower's time zone (FDCPA 805(a)(1)): 8:00:00 and 21:00:00
are allowed, a minute outside is refused; the zone comes from the property's state, else the servicer's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lending.core.timezones import state_time_zone
from servicing.models import ContactAttempt, LoanAccount
from servicing.services.collections import CollectionsError, calling_hours_check, contact_log
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan


def utc(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# December 2026: Chicago is UTC-6 (CST), Los Angeles UTC-8 (PST).
# IL 8:00 CST = 14:00 UTC; 7:59 CST = 13:59 UTC; 21:00 CST = 03:00 UTC next day; 21:01 CST = 03:01 UTC.
# CA 8:00 PST = 16:00 UTC; 7:59 PST = 15:59 UTC; 21:00 PST = 05:00 UTC next day; 21:01 PST = 05:01 UTC.
@pytest.mark.parametrize(
    ("state", "at", "allowed"),
    [
        ("IL", utc(2026, 12, 1, 14, 0), True),
        ("IL", utc(2026, 12, 1, 13, 59), False),
        ("IL", utc(2026, 12, 2, 3, 0), True),
        ("IL", utc(2026, 12, 2, 3, 1), False),
        ("IL", utc(2026, 12, 2, 3, 0, 1), False),
        ("CA", utc(2026, 12, 1, 16, 0), True),
        ("CA", utc(2026, 12, 1, 15, 59), False),
        ("CA", utc(2026, 12, 2, 5, 0), True),
        ("CA", utc(2026, 12, 2, 5, 1), False),
        # 14:00 UTC is 8:00 in Chicago but 6:00 in Los Angeles.
        ("CA", utc(2026, 12, 1, 14, 0), False),
    ],
)
def test_calling_hours_bounds_in_two_time_zones(state, at, allowed):
    if allowed:
        calling_hours_check(at=at, state=state)
    else:
        with pytest.raises(CollectionsError) as refused:
            calling_hours_check(at=at, state=state)
        assert refused.value.field == "at"
        assert "No calls before 8 a.m. or after 9 p.m. in the borrower's time zone" in str(refused.value)


def test_the_refusal_says_the_borrowers_local_time():
    with pytest.raises(CollectionsError) as refused:
        calling_hours_check(at=utc(2026, 12, 1, 13, 59), state="IL")
    assert str(refused.value).endswith("it is 07:59 AM (CST) there.")


def test_time_zone_of_a_state_and_the_fallback(settings):
    settings.TIME_ZONE = "America/New_York"
    assert str(state_time_zone("IL")) == "America/Chicago"
    assert str(state_time_zone("az")) == "America/Phoenix"
    assert str(state_time_zone("HI")) == "Pacific/Honolulu"
    assert str(state_time_zone("")) == "America/New_York"
    assert str(state_time_zone("ZZ")) == "America/New_York"


@pytest.mark.django_db
def test_contact_log_checks_calls_in_the_property_states_zone_and_not_letters():
    loan = delinquent_loan()  # property in IL
    collector = user_with_role("collector")
    with pytest.raises(CollectionsError):
        contact_log(actor=collector, loan=loan, channel="call", outcome="no_answer", at=utc(2026, 12, 1, 13, 59))
    assert ContactAttempt.objects.count() == 0
    # A letter is not a call: any hour.
    contact_log(actor=collector, loan=loan, channel="letter", outcome="sent", at=utc(2026, 12, 1, 9, 0))
    call = contact_log(
        actor=collector,
        loan=loan,
        channel="call",
        outcome="promise",
        right_party_contact=True,
        at=utc(2026, 12, 1, 14, 0),
    )
    assert (call.channel, call.right_party_contact, call.collector) == ("call", True, collector)
    assert ContactAttempt.objects.filter(loan=loan).count() == 2


@pytest.mark.django_db
def test_a_transferred_loan_without_a_property_uses_the_servicers_zone(settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-5 in December: 8:00 EST = 13:00 UTC
    loan = delinquent_loan()
    # As a loan boarded from a transfer file without the property columns.
    LoanAccount.objects.filter(pk=loan.pk).update(application=None, property_address_line1="", property_state="")
    loan.refresh_from_db()
    collector = user_with_role("collector")
    with pytest.raises(CollectionsError):
        contact_log(actor=collector, loan=loan, channel="call", outcome="no_answer", at=utc(2026, 12, 1, 12, 59))
    contact_log(actor=collector, loan=loan, channel="call", outcome="no_answer", at=utc(2026, 12, 1, 13, 0))
