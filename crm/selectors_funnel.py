"""The pipeline report's lead part: leads taken in a period to applications and funded loans, by lead source and
by referral partner. One GROUP BY each over the period's leads (their application and its funding joined), so the
cost follows the leads of the period, not the book. The report's officer filter is the lead's officer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from crm.models import Lead
from lending.finance.money import ZERO
from lending.finance.ratios import percent_of
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


FUNNEL = {
    "n": Count("pk"),
    "applied": Count("application_id"),
    "funded": Count("pk", filter=Q(application__status=Status.FUNDED)),
    "amount": Sum("application__funding__loan_amount", filter=Q(application__status=Status.FUNDED)),
}


def _rows(grouped, name) -> list[FunnelRow]:
    rows = [FunnelRow(name(row), row["n"], row["applied"], row["funded"], row["amount"] or ZERO) for row in grouped]
    return sorted(rows, key=lambda row: (-row.leads, row.name))


def by_source(leads: QuerySet[Lead]) -> list[FunnelRow]:
    """Per lead source, most leads first. One query."""
    grouped = leads.values("source_id", "source__name").annotate(**FUNNEL).order_by()
    return _rows(grouped, lambda row: row["source__name"])


def by_partner(leads: QuerySet[Lead]) -> list[FunnelRow]:
    """Per referral partner (the leads without one in a row of their own), most leads first. One query."""
    grouped = leads.values("referral_partner_id", "referral_partner__name").annotate(**FUNNEL).order_by()
    return _rows(grouped, lambda row: row["referral_partner__name"] or NO_PARTNER)


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
    """Two queries."""
    leads = period_leads(date_from, date_to, officer)
    return LeadFunnel(sources=by_source(leads), partners=by_partner(leads))
