"""The CRM dashboard's figures: lead funnel by stage and source, conversion rates, speed to first contact and the
officer leaderboard. Set-based: one scan of the leads grouped by officer, source and stage, the median (its middle
rows read from an index), the won leads' funded amounts and two small name lookups, whatever the number of leads. A
manager sees every lead; a loan officer only their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet, Sum

from crm.models import Lead, LeadSource, Stage
from crm.selectors_counts import lead_counts
from crm.services.leads import is_manager
from lending.core import roles
from lending.core.models import User

PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PERIOD = "90"
_SPEED = ExpressionWrapper(F("first_contacted_at") - F("created_at"), output_field=DurationField())


def percent(part: int, whole: int) -> Decimal:
    """A share in percent to one decimal (half up), 0 for an empty whole: 1 of 3 -> 33.3."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


@dataclass
class Dashboard:
    total: int = 0
    with_application: int = 0
    won: int = 0
    stages: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    officers: list[dict[str, Any]] = field(default_factory=list)
    median_hours_to_contact: Decimal | None = None
    contacted: int = 0

    @property
    def lead_to_application(self) -> Decimal:
        return percent(self.with_application, self.total)

    @property
    def application_to_won(self) -> Decimal:
        return percent(self.won, self.with_application)

    @property
    def lead_to_won(self) -> Decimal:
        return percent(self.won, self.total)

    def chart_data(self) -> dict[str, Any]:
        """What the Chart.js charts draw (json_script: no inline script under the CSP)."""
        return {
            "stages": {"labels": [s["label"] for s in self.stages], "counts": [s["count"] for s in self.stages]},
            "sources": {"labels": [s["name"] for s in self.sources], "counts": [s["total"] for s in self.sources]},
            "officers": {"labels": [o["name"] for o in self.officers], "won": [o["won"] for o in self.officers]},
        }


def dashboard_leads(user: User, *, since: datetime | None) -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if not is_manager(user):
        leads = leads.filter(officer=user) if roles.has_role(user, roles.LOAN_OFFICER) else leads.none()
    return leads.filter(created_at__gte=since) if since is not None else leads


def _median_hours(leads: QuerySet[Lead], contacted: int) -> Decimal | None:
    """Median hours from a lead's creation to its first contact, over the leads contacted: the middle one or two
    in order of speed (one query). PostgreSQL walks the partial index on the speed (``crm_lead_speed_idx``) to the
    middle and stops there, rather than sorting every contacted lead's speed (issue 15: a third of the page at
    200,000 leads); the intervals are exact, and so is their mean to the microsecond."""
    if not contacted:
        return None
    middle = list(
        leads.filter(first_contacted_at__isnull=False)
        .annotate(speed=_SPEED)
        .order_by("speed")
        .values_list("speed", flat=True)[(contacted - 1) // 2 : contacted // 2 + 1]
    )
    median = sum(middle, timedelta()) / len(middle)
    return (Decimal(median.total_seconds()) / 3600).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def _grouped(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    """One scan of the leads, grouped by officer, source and stage (at most officers x sources x stages rows)."""
    rows = (
        leads.order_by()
        .values("officer_id", "source_id", "stage")
        .annotate(n=Count("id"), applied=Count("application_id"), reached=Count("first_contacted_at"))
    )
    return [dict(row) for row in rows]


def _grouped_for(user: User, since: datetime | None) -> list[dict[str, Any]]:
    """``_grouped`` of the leads the user may see, from the kept day counts (crm.selectors_counts)."""
    by = ("officer_id", "source_id", "stage")
    if is_manager(user):
        return lead_counts(since=since, officer_id=None, by=by)
    if roles.has_role(user, roles.LOAN_OFFICER):
        return lead_counts(since=since, officer_id=user.pk, by=by)
    return []


def _funnel(board: Dashboard, rows: list[dict[str, Any]], source_names: dict[int, str]) -> None:
    """Stages, sources and the totals, summed from the grouped rows."""
    by_stage: dict[str, int] = dict.fromkeys(Stage.values, 0)
    sources: dict[int, dict[str, Any]] = {}
    for row in rows:
        by_stage[row["stage"]] += row["n"]
        board.total += row["n"]
        board.with_application += row["applied"]
        board.contacted += row["reached"]
        source = sources.setdefault(
            row["source_id"], {"name": source_names.get(row["source_id"], ""), "total": 0, "applied": 0, "won": 0}
        )
        source["total"] += row["n"]
        source["applied"] += row["applied"]
        source["won"] += row["n"] if row["stage"] == Stage.WON else 0
    board.won = by_stage[Stage.WON]
    board.stages = [{"stage": s, "label": label, "count": by_stage[s]} for s, label in Stage.choices]
    for source in sources.values():
        source["applied_rate"] = percent(source["applied"], source["total"])
        source["won_rate"] = percent(source["won"], source["total"])
    board.sources = sorted(sources.values(), key=lambda s: (-s["total"], s["name"]))


def _leaderboard(rows: list[dict[str, Any]], leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    """Officers ranked by leads won, then funded amount, then leads worked: counts from the grouped rows, the
    funded amount from the won leads only (few, on the stage index), names from the users (two small queries)."""
    officers: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["officer_id"] is None:
            continue
        officer = officers.setdefault(
            row["officer_id"], {"total": 0, "contacted": 0, "applied": 0, "won": 0, "funded": Decimal("0.00")}
        )
        officer["total"] += row["n"]
        officer["contacted"] += row["reached"]
        officer["applied"] += row["applied"]
        officer["won"] += row["n"] if row["stage"] == Stage.WON else 0
    funded = (
        leads.filter(stage=Stage.WON, officer_id__in=list(officers))
        .order_by()
        .values("officer_id")
        .annotate(amount=Sum("application__funding__loan_amount"))
    )
    for won in funded:
        officers[won["officer_id"]]["funded"] = won["amount"] or Decimal("0.00")
    names = User.objects.filter(pk__in=list(officers)).values_list("pk", "first_name", "last_name", "email")
    for pk, first, last, email in names:
        officers[pk]["name"] = f"{first} {last}".strip() or email
    board = []
    for officer in officers.values():
        officer["won_rate"] = percent(officer["won"], officer["total"])
        board.append(officer)
    board.sort(key=lambda o: (-o["won"], -o["funded"], -o["total"], o.get("name", "")))
    return board


def dashboard(user: User, *, now: datetime, period: str = DEFAULT_PERIOD) -> Dashboard:
    days = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    since = now - timedelta(days=days) if days else None
    leads = dashboard_leads(user, since=since)
    board = Dashboard()
    rows = _grouped_for(user, since)
    _funnel(board, rows, dict(LeadSource.objects.values_list("pk", "name")))
    board.officers = _leaderboard(rows, leads)
    board.median_hours_to_contact = _median_hours(leads, board.contacted)
    return board
