"""The borrower's time zone, from the property's state: the calling-hours rule (FDCPA 805(a)(1), no calls before
8 a.m. or after 9 p.m. local time) needs it. A state spanning two zones gets the zone most of its people live in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

STATE_TIME_ZONES = {
    **dict.fromkeys(
        ("CT", "DC", "DE", "FL", "GA", "IN", "KY", "MA", "MD", "ME", "MI", "NC", "NH", "NJ", "NY", "OH", "PA", "RI"),
        "America/New_York",
    ),
    **dict.fromkeys(("SC", "VA", "VT", "WV"), "America/New_York"),
    **dict.fromkeys(
        ("AL", "AR", "IA", "IL", "KS", "LA", "MN", "MO", "MS", "ND", "NE", "OK", "SD", "TN", "TX", "WI"),
        "America/Chicago",
    ),
    **dict.fromkeys(("CO", "ID", "MT", "NM", "UT", "WY"), "America/Denver"),
    "AZ": "America/Phoenix",  # no daylight saving time
    **dict.fromkeys(("CA", "NV", "OR", "WA"), "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
    "GU": "Pacific/Guam",
}


def state_time_zone(state: str | None) -> ZoneInfo:
    """The time zone of a property in ``state`` (two-letter code); the servicer's own (``TIME_ZONE``) when the
    state is unknown or blank (a transferred loan boarded without its property)."""
    return ZoneInfo(STATE_TIME_ZONES.get((state or "").strip().upper(), settings.TIME_ZONE))
