"""The CRM dashboard's figures: lead funnel by stage and source, conversion rates, speed to first contact and the
officer leaderboard. Set-based: three queries on PostgreSQL (four on SQLite, which has no percentile), whatever
the number of leads. A manager sees every lead; a loan officer only their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from crm.models import Lead, Stage
from crm.services.leads import is_manager
from lending.core import roles
from lending.core.models import User

PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PERIOD = "90"
_SPEED = ExpressionWrapper(F("first_contacted_at") - F("created_at"), output_field=DurationField())
_HAS_APPLICATION = Q(application__isnull=False)


class _Median(Aggregate):
    """PostgreSQL's exact median (percentile_cont works on intervals too)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


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
    """Median hours from a lead's creation to its first contact, over the leads contacted (one query)."""
    if not contacted:
        return None
    reached = leads.filter(first_contacted_at__isnull=False)
    if connection.vendor == "postgresql":
        median = reached.aggregate(m=_Median(_SPEED))["m"]
    else:  # the middle one or two by speed
        middle = list(
            reached.annotate(speed=_SPEED)
            .order_by("speed")
            .values_list("speed", flat=True)[(contacted - 1) // 2 : contacted // 2 + 1]
        )
        median = sum(middle, timedelta()) / len(middle)
    return (Decimal(median.total_seconds()) / 3600).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def _funnel(board: Dashboard, leads: QuerySet[Lead]) -> None:
    """Stages and sources from one grouped query (source x stage)."""
    rows = (
        leads.order_by()
        .values("source_id", "source__name", "stage")
        .annotate(n=Count("id"), applied=Count("id", filter=_HAS_APPLICATION), reached=Count("first_contacted_at"))
    )
    by_stage: dict[str, int] = dict.fromkeys(Stage.values, 0)
    sources: dict[int, dict[str, Any]] = {}
    for row in rows:
        by_stage[row["stage"]] += row["n"]
        board.total += row["n"]
        board.with_application += row["applied"]
        board.contacted += row["reached"]
        source = sources.setdefault(row["source_id"], {"name": row["source__name"], "total": 0, "applied": 0, "won": 0})
        source["total"] += row["n"]
        source["applied"] += row["applied"]
        source["won"] += row["n"] if row["stage"] == Stage.WON else 0
    board.won = by_stage[Stage.WON]
    board.stages = [{"stage": s, "label": label, "count": by_stage[s]} for s, label in Stage.choices]
    for source in sources.values():
        source["applied_rate"] = percent(source["applied"], source["total"])
        source["won_rate"] = percent(source["won"], source["total"])
    board.sources = sorted(sources.values(), key=lambda s: (-s["total"], s["name"]))


def _leaderboard(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    """Officers ranked by leads won, then funded amount, then leads worked (one grouped query)."""
    rows = (
        leads.filter(officer__isnull=False)
        .order_by()
        .values("officer_id", "officer__first_name", "officer__last_name", "officer__email")
        .annotate(
            total=Count("id"),
            contacted=Count("first_contacted_at"),
            applied=Count("id", filter=_HAS_APPLICATION),
            won=Count("id", filter=Q(stage=Stage.WON)),
            funded=Sum("application__funding__loan_amount", filter=Q(stage=Stage.WON)),
        )
    )
    board = []
    for row in rows:
        name = f"{row['officer__first_name']} {row['officer__last_name']}".strip() or row["officer__email"]
        funded = row["funded"] or Decimal("0.00")
        board.append(
            {
                "name": name,
                "total": row["total"],
                "contacted": row["contacted"],
                "applied": row["applied"],
                "won": row["won"],
                "won_rate": percent(row["won"], row["total"]),
                "funded": funded,
            }
        )
    board.sort(key=lambda o: (-o["won"], -o["funded"], -o["total"], o["name"]))
    return board


def dashboard(user: User, *, now: datetime, period: str = DEFAULT_PERIOD) -> Dashboard:
    days = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    leads = dashboard_leads(user, since=now - timedelta(days=days) if days else None)
    board = Dashboard()
    _funnel(board, leads)
    board.officers = _leaderboard(leads)
    board.median_hours_to_contact = _median_hours(leads, board.contacted)
    return board
