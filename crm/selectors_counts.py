"""Lead counts from the kept day counts (``LeadDayCount``, PostgreSQL): the board's column totals and the
dashboard's grouped counts, without counting every lead on each visit.

A period reads the kept rows of the whole UTC days inside it and counts the leads of its partial first and last days
directly (an index range of a day's leads each). On SQLite (development, nothing kept)
every count reads the leads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from crm.models import Lead, LeadDayCount

# The grouping keys a caller names (the lead's fields) and the kept row's columns for them.
KEPT_COLUMNS = {"officer_id": "officer", "source_id": "source", "referral_partner_id": "partner", "stage": "stage"}
COUNTS = ("n", "applied", "reached")


def lead_counts(
    *,
    since: datetime | None,
    officer_id: int | None,
    by: tuple[str, ...],
    until: datetime | None = None,
    partner_id: int | None = None,
) -> list[dict[str, Any]]:
    """The leads that came in from ``since`` (the first lead when None) to before ``until`` (the last when None),
    only ``officer_id``'s and ``partner_id``'s when given, counted by the lead fields ``by`` (of KEPT_COLUMNS): a
    dict per group with its keys, ``n``, ``applied`` (has an application) and ``reached`` (has been contacted). One
    query, whatever the period: the kept whole days and the counted partial days in one UNION ALL."""
    leads = Lead.objects.all()
    if officer_id is not None:
        leads = leads.filter(officer_id=officer_id)
    if partner_id is not None:
        leads = leads.filter(referral_partner_id=partner_id)
    if since is not None:
        leads = leads.filter(created_at__gte=since)
    if until is not None:
        leads = leads.filter(created_at__lt=until)
    if connection.vendor != "postgresql":
        return _merged([_counted(leads, by)], by)
    kept = LeadDayCount.objects.all()
    if officer_id is not None:
        kept = kept.filter(officer=officer_id)
    if partner_id is not None:
        kept = kept.filter(partner=partner_id)
    first = _utc_day(since) if since is not None else None
    last = _utc_day(until) if until is not None else None
    if first is not None and last is not None and last <= first + timedelta(days=1):
        return _merged([_counted(leads, by)], by)  # a day or two: no whole day between them, every lead counted
    # The whole UTC days strictly inside the period from the kept rows; its partial first and last days counted.
    partial = Q(pk__in=[])
    if first is not None:
        kept = kept.filter(day__gt=first)
        partial |= Q(created_at__lt=_midnight(first + timedelta(days=1)))
    if last is not None:
        kept = kept.filter(day__lt=last)
        partial |= Q(created_at__gte=_midnight(last))
    keys = {f"k{i}": F(KEPT_COLUMNS[key]) for i, key in enumerate(by)}
    kept_rows = kept.values(**keys).annotate(
        n=Sum("leads"), applied=Sum("leads", filter=Q(applied=True)), reached=Sum("leads", filter=Q(reached=True))
    )
    counted = leads.filter(partial).values(**{f"k{i}": F(key) for i, key in enumerate(by)})
    counted_rows = counted.annotate(n=Count("id"), applied=Count("application_id"), reached=Count("first_contacted_at"))
    rows: Iterable[dict[str, Any]] = kept_rows.order_by().union(counted_rows.order_by(), all=True)  # type: ignore[assignment]
    return _merged([[{**{key: row[f"k{i}"] for i, key in enumerate(by)}, **_numbers(row)} for row in rows]], by)


def _numbers(row: dict[str, Any]) -> dict[str, int]:
    return {name: int(row[name] or 0) for name in COUNTS}


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _counted(leads: QuerySet[Lead], by: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = (
        leads.order_by()
        .values(*by)
        .annotate(n=Count("id"), applied=Count("application_id"), reached=Count("first_contacted_at"))
    )
    return [dict(row) for row in rows]


def _merged(parts: list[list[dict[str, Any]]], by: tuple[str, ...]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rows in parts:
        for row in rows:
            key = tuple(row[name] for name in by)
            group = groups.setdefault(key, {**dict(zip(by, key, strict=True)), **dict.fromkeys(COUNTS, 0)})
            for name in COUNTS:
                group[name] += row[name]
    return [group for group in groups.values() if group["n"]]


def lead_count_mismatches() -> list[tuple[Any, ...]]:
    """Each key whose kept count differs from the leads' (``manage.py lead_counts``): (key, kept, leads). Empty
    when the triggers have kept them exact, and on SQLite (nothing kept). Reads every lead."""
    if connection.vendor != "postgresql":
        return []
    keys = ("day", "officer", "source", "partner", "stage", "applied", "reached")
    kept = {
        tuple(row[k] for k in keys): row["n"]
        for row in LeadDayCount.objects.values(*keys).annotate(n=Sum("leads")).order_by()
        if row["n"]
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (created_at AT TIME ZONE 'UTC')::date, officer_id, source_id, referral_partner_id, stage,
                      application_id IS NOT NULL, first_contacted_at IS NOT NULL, count(*)
                 FROM crm_lead GROUP BY 1, 2, 3, 4, 5, 6, 7"""
        )
        leads = {tuple(row[:7]): row[7] for row in cursor.fetchall()}
    return [
        (key, kept.get(key, 0), leads.get(key, 0))
        for key in sorted(kept.keys() | leads.keys(), key=str)
        if kept.get(key, 0) != leads.get(key, 0)
    ]
