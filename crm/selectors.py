"""CRM reads for the pages: each a fixed number of queries, whatever the number of leads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from crm.models import Activity, Lead, ReferralPartner, Stage, Task
from crm.selectors_counts import lead_counts
from crm.services.leads import active_loan_officers, is_manager
from lending.core import roles
from lending.core.compiled import CompiledPages, CompiledQuery, CompiledRows, fetch_together
from lending.core.models import User
from origination.models import Funding

BOARD_CARDS_PER_STAGE = 20  # the newest of each stage; "All N" opens the list filtered to it
LEAD_RELATED = ("contact", "source", "officer", "referral_partner", "application")


def _leads() -> QuerySet[Lead]:
    return Lead.objects.select_related(*LEAD_RELATED)


def leads_visible(user: User) -> QuerySet[Lead]:
    """Every lead for a manager; a loan officer's own leads; nothing for anyone else."""
    leads = _leads()
    if is_manager(user):
        return leads
    if roles.has_role(user, roles.LOAN_OFFICER):
        return leads.filter(officer=user)
    return leads.none()


def leads_filtered(user: User, *, stage: str = "", officer_id: int | None = None, search: str = "") -> QuerySet[Lead]:
    leads = leads_visible(user)
    if stage in Stage.values:
        leads = leads.filter(stage=stage)
    if officer_id is not None and is_manager(user):
        leads = leads.filter(officer_id=officer_id)
    if search:
        leads = leads.filter(
            Q(contact__last_name__icontains=search)
            | Q(contact__first_name__icontains=search)
            | Q(contact__email_normalized__icontains=search.lower())
        )
    return leads.order_by("-created_at", "-id")


# The leads list unfiltered (every visit of the CRM's Leads page): its count and pages compiled once per process,
# as building the five joins' SQL cost more CPU than the database's answer (issue 15, Load).
_EVERY_LEAD_PAGES = CompiledPages(lambda: _leads().order_by("-created_at", "-id"))
_OFFICER_LEAD_PAGES = CompiledPages(
    lambda officer_id: _leads().filter(officer_id=officer_id).order_by("-created_at", "-id"), officer_id=int
)


def lead_rows(
    user: User, *, stage: str = "", officer_id: int | None = None, search: str = ""
) -> QuerySet[Lead] | CompiledRows[Lead]:
    """``leads_filtered``'s rows for the list's paginator; with no filter applied, compiled once per process."""
    manager = is_manager(user)
    if stage in Stage.values or search or (officer_id is not None and manager):
        return leads_filtered(user, stage=stage, officer_id=officer_id, search=search)
    if manager:
        return _EVERY_LEAD_PAGES.rows()
    if roles.has_role(user, roles.LOAN_OFFICER):
        return _OFFICER_LEAD_PAGES.rows(officer_id=user.pk)
    return leads_filtered(user)


def lead_for(user: User, pk: int) -> Lead:
    """The lead if ``user`` may see it, else 404 (a loan officer never learns another's lead exists)."""
    lead = leads_visible(user).filter(pk=pk).first()
    if lead is None:
        raise Http404("No such lead.")
    return lead


def _newest_cards(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    return leads.select_related(*LEAD_RELATED).order_by("-created_at", "-id")[:BOARD_CARDS_PER_STAGE]


# A column's cards, compiled once per process (lending.core.compiled): building the six columns' joins cost more
# CPU than the database's answer (issue 15, "Pages"). Every lead, or one officer's.
_CARDS = CompiledQuery(lambda stage: _newest_cards(Lead.objects.filter(stage=stage)), stage=str)
_OFFICER_CARDS = CompiledQuery(
    lambda stage, officer: _newest_cards(Lead.objects.filter(stage=stage, officer_id=officer)), stage=str, officer=int
)


def _board_cards(user: User, officer_id: int | None) -> list[list[Lead]]:
    """Each stage's newest cards that ``user`` may see (as ``leads_filtered``), the six reads in one round trip."""
    if is_manager(user):
        officer = officer_id
    elif roles.has_role(user, roles.LOAN_OFFICER):
        officer = user.pk
    else:
        return [[] for _ in Stage.values]
    if officer is None:
        return fetch_together(*((_CARDS, {"stage": stage}) for stage in Stage.values))
    return fetch_together(*((_OFFICER_CARDS, {"stage": stage, "officer": officer}) for stage in Stage.values))


def board_columns(user: User, *, officer_id: int | None = None) -> list[dict[str, Any]]:
    """One column per stage: its total and its newest cards (one count query plus one query per stage, those sent
    together)."""
    totals = _stage_totals(user, officer_id)
    cards = _board_cards(user, officer_id)
    return [
        {"stage": stage, "label": label, "total": totals.get(stage, 0), "cards": column}
        for (stage, label), column in zip(Stage.choices, cards, strict=True)
    ]


def _stage_totals(user: User, officer_id: int | None) -> dict[str, int]:
    """The leads the user may see (a manager: one officer's, given ``officer_id``) by stage, from the kept day
    counts (crm.selectors_counts)."""
    if is_manager(user):
        officer = officer_id
    elif roles.has_role(user, roles.LOAN_OFFICER):
        officer = user.pk
    else:
        return {}
    return {row["stage"]: row["n"] for row in lead_counts(since=None, officer_id=officer, by=("stage",))}


def timeline(lead: Lead) -> list[Activity]:
    """The contact's whole timeline (every lead of theirs), newest first."""
    return list(
        Activity.objects.filter(contact_id=lead.contact_id)
        .select_related("actor", "lead")
        .order_by("-occurred_at", "-id")[:200]
    )


def lead_tasks(lead: Lead) -> list[Task]:
    return list(lead.tasks.select_related("assigned_to").order_by("done_at", "due_date", "id"))


def _open_tasks() -> QuerySet[Task]:
    return Task.objects.filter(done_at__isnull=True).select_related("lead__contact", "assigned_to")


def tasks_open_for(user: User) -> QuerySet[Task]:
    tasks = _open_tasks()
    return tasks if is_manager(user) else tasks.filter(assigned_to=user)


HOME_TASKS = 10
# The CRM home reads them on every visit: compiled once per process (the joins' SQL cost ~1 ms to build, issue 15).
_HOME_TASKS_ALL = CompiledQuery(lambda: _open_tasks().order_by("due_date", "id")[:HOME_TASKS])
_HOME_TASKS_OF = CompiledQuery(
    lambda user_id: _open_tasks().filter(assigned_to_id=user_id).order_by("due_date", "id")[:HOME_TASKS], user_id=int
)


def home_tasks(user: User) -> list[Task]:
    """The CRM home's first open tasks, soonest due first: every one for a manager, else the user's own."""
    return _HOME_TASKS_ALL.fetch() if is_manager(user) else _HOME_TASKS_OF.fetch(user_id=user.pk)


def officers_for_filter(user: User) -> list[User]:
    return list(active_loan_officers()) if is_manager(user) else []


def _partner_stats(partner_id: int | None = None) -> dict[int, dict[str, Any]]:
    """Referred volume, conversion and funded amount per partner (only ``partner_id``'s when given): the referred
    leads counted by partner and stage from the kept day counts (crm.selectors_counts), then the fundings of their
    applications summed by partner (a lead has at most one application and that at most one funding: nothing is
    counted twice)."""
    stats: dict[int, dict[str, Any]] = {}
    counts = lead_counts(since=None, officer_id=None, partner_id=partner_id, by=("referral_partner_id", "stage"))
    for row in counts:
        if row["referral_partner_id"] is None:
            continue
        partner = stats.setdefault(row["referral_partner_id"], {"referred": 0, "applied": 0, "won": 0})
        partner["referred"] += row["n"]
        partner["applied"] += row["applied"]
        partner["won"] += row["n"] if row["stage"] == Stage.WON else 0
    referred = Lead.objects.filter(referral_partner__isnull=False)
    if partner_id is not None:
        referred = referred.filter(referral_partner_id=partner_id)
    funded = (
        Funding.objects.filter(application__crm_lead__in=referred)
        .values("application__crm_lead__referral_partner_id")
        .annotate(amount=Sum("loan_amount"))
        .order_by()
    )
    for amount in funded:
        stats[amount["application__crm_lead__referral_partner_id"]]["funded_amount"] = amount["amount"]
    return stats


def _with_rates(row: dict[str, Any] | None) -> dict[str, Any]:
    row = {"referred": 0, "applied": 0, "won": 0, "funded_amount": None, **(row or {})}
    referred = row["referred"]
    row["funded_amount"] = row["funded_amount"] or Decimal("0.00")
    # Conversion: the share of referred leads that became applications, and that funded (whole percent).
    row["applied_rate"] = round(100 * row["applied"] / referred) if referred else 0
    row["won_rate"] = round(100 * row["won"] / referred) if referred else 0
    return row


def partners_with_stats() -> list[ReferralPartner]:
    """Every partner with ``stats`` (see ``partner_stats``): three queries (partners, leads, fundings)."""
    stats = _partner_stats()
    partners = list(ReferralPartner.objects.order_by("name", "id"))
    for partner in partners:
        partner.stats = _with_rates(stats.get(partner.pk))  # type: ignore[attr-defined]
    return partners


def partner_stats(partner: ReferralPartner) -> dict[str, Any]:
    return _with_rates(_partner_stats(partner.pk).get(partner.pk))


def partner_leads(user: User, partner: ReferralPartner) -> QuerySet[Lead]:
    """The partner's referrals that ``user`` may see (an officer: their own)."""
    return leads_visible(user).filter(referral_partner=partner).order_by("-created_at", "-id")
