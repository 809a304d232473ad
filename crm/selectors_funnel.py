"""The pipeline report's lead part: leads taken in a period to applications and funded loans, by lead source and
by referral partner. One GROUP BY each over the period's leads (their application and its funding joined), so the
cost follows the leads of the period, not the book. The report's officer filter is the lead's officer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from crm.models import Lead, LeadSource, ReferralPartner
from crm.selectors_counts import lead_counts
from lending.core.sql import money_sum
from lending.finance.money import ZERO
from lending.finance.ratios import percent_of
from origination.models import Application, Funding
from origination.models.applications import Status

NO_PARTNER = "No referral partner"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_leads(date_from: date, date_to: date, officer: int | None = None) -> QuerySet[Lead]:
    """Leads created from the start of ``date_from`` to the end of ``date_to`` (local time), on the index."""
    leads = Lead.objects.filter(
        created_at__gte=_day_start(date_from), created_at__lt=_day_start(date_to + timedelta(days=1))
    )
    return leads.filter(officer_id=officer) if officer else leads


@dataclass(frozen=True)
class FunnelRow:
    name: str
    leads: int
    applications: int
    funded: int
    funded_amount: Decimal

    @property
    def to_application(self) -> Decimal | None:
        return percent_of(self.applications, self.leads)

    @property
    def to_funded(self) -> Decimal | None:
        return percent_of(self.funded, self.leads)


# Added up per (source, partner) first, the names joined to those few rows after; the lead's application joined
# only when it is funded (and its funding with it).
FUNNEL_SQL = """
WITH leads AS ({leads}),
counts AS (
    SELECT l.source_id, l.referral_partner_id, COUNT(*) AS n, COUNT(l.application_id) AS applied,
        COUNT(a.id) AS funded, SUM(f.loan_amount) AS amount
    FROM leads l
    LEFT JOIN {application} a ON a.id = l.application_id AND a.status = %s
    LEFT JOIN {funding} f ON f.application_id = a.id
    GROUP BY l.source_id, l.referral_partner_id
)
SELECT k.source_id, s.name, k.referral_partner_id, p.name, k.n, k.applied, k.funded, k.amount
FROM counts k JOIN {source} s ON s.id = k.source_id LEFT JOIN {partner} p ON p.id = k.referral_partner_id
"""
FUNNEL_KEYS = (
    "source_id",
    "source__name",
    "referral_partner_id",
    "referral_partner__name",
    "n",
    "applied",
    "funded",
    "amount",
)


def source_and_partner_counts(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    """The leads counted per (source, referral partner): the one scan both tables are added up from. One query."""
    columns = leads.order_by().values("source_id", "referral_partner_id", "application_id")
    leads_sql, params = columns.query.sql_with_params()
    sql = FUNNEL_SQL.format(
        leads=leads_sql,
        application=Application._meta.db_table,
        funding=Funding._meta.db_table,
        source=LeadSource._meta.db_table,
        partner=ReferralPartner._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, Status.FUNDED])
        rows = [dict(zip(FUNNEL_KEYS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["amount"] = money_sum(row["amount"])
    return rows


def _rows(counts: list[dict[str, Any]], key: str, name: Callable[[dict[str, Any]], str]) -> list[FunnelRow]:
    """``counts`` added up per ``key``, most leads first."""
    rows: dict[Any, FunnelRow] = {}
    for row in counts:
        seen = rows.get(row[key]) or FunnelRow(name(row), 0, 0, 0, ZERO)
        rows[row[key]] = FunnelRow(
            seen.name,
            seen.leads + row["n"],
            seen.applications + row["applied"],
            seen.funded + row["funded"],
            seen.funded_amount + (row["amount"] or ZERO),
        )
    return sorted(rows.values(), key=lambda row: (-row.leads, row.name))


def by_source(counts: list[dict[str, Any]]) -> list[FunnelRow]:
    return _rows(counts, "source_id", lambda row: row["source__name"])


def by_partner(counts: list[dict[str, Any]]) -> list[FunnelRow]:
    """The leads without a partner in a row of their own."""
    return _rows(counts, "referral_partner_id", lambda row: row["referral_partner__name"] or NO_PARTNER)


@dataclass(frozen=True)
class LeadFunnel:
    sources: list[FunnelRow]
    partners: list[FunnelRow]

    @property
    def total(self) -> FunnelRow:
        return FunnelRow(
            name="All leads",
            leads=sum(row.leads for row in self.sources),
            applications=sum(row.applications for row in self.sources),
            funded=sum(row.funded for row in self.sources),
            funded_amount=sum((row.funded_amount for row in self.sources), ZERO),
        )


def lead_funnel(date_from: date, date_to: date, officer: int | None = None) -> LeadFunnel:
    """The period's leads and applications per (source, partner) from the kept day counts (crm.selectors_counts),
    the funded ones and their amounts from the period's leads that have an application (a partial index): four
    small queries, whatever the number of leads."""
    counts = kept_source_and_partner_counts(date_from, date_to, officer)
    return LeadFunnel(sources=by_source(counts), partners=by_partner(counts))


def kept_source_and_partner_counts(date_from: date, date_to: date, officer: int | None) -> list[dict[str, Any]]:
    """``source_and_partner_counts`` of the period's leads: the counts kept, the funded joined for the few leads
    with an application."""
    by = ("source_id", "referral_partner_id")
    rows = {
        (row["source_id"], row["referral_partner_id"]): {**row, "funded": 0, "amount": None}
        for row in lead_counts(
            since=_day_start(date_from), until=_day_start(date_to + timedelta(days=1)), officer_id=officer, by=by
        )
    }
    applied = source_and_partner_counts(period_leads(date_from, date_to, officer).filter(application__isnull=False))
    for row in applied:
        key = (row["source_id"], row["referral_partner_id"])
        rows.setdefault(key, {**row, "n": row["n"]}).update(funded=row["funded"], amount=row["amount"])
    # One query each even when no lead has a partner ([0], no row): the page's count stays the same.
    sources = dict(LeadSource.objects.filter(pk__in=[k[0] for k in rows] or [0]).values_list("pk", "name"))
    partners = dict(
        ReferralPartner.objects.filter(pk__in=[k[1] for k in rows if k[1]] or [0]).values_list("pk", "name")
    )
    for (source, partner), row in rows.items():
        row["source__name"], row["referral_partner__name"] = sources.get(source, ""), partners.get(partner)
    return list(rows.values())
