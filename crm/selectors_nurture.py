"""Reads for the campaign screens and the past-client follow-ups: each a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from crm.models import Campaign, CampaignSend, CampaignStep, Enrollment, FollowUp
from crm.services.contacts import email_normalize
from crm.services.leads import is_manager
from lending.core import roles
from lending.core.models import User

Sent = CampaignSend.Status


def _count_of(model: type[CampaignStep] | type[Enrollment]) -> Coalesce:
    """How many rows of ``model`` the campaign has, as a correlated subquery (no join of steps with enrollments)."""
    rows = model.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n")), 0)


def campaigns_with_counts() -> list[Campaign]:
    """Every campaign with its number of steps and of enrollments (one query)."""
    return list(
        Campaign.objects.select_related("source")
        .annotate(step_count=_count_of(CampaignStep), enrolled=_count_of(Enrollment))
        .order_by("-is_active", "name", "id")
    )


def campaign_get(pk: int) -> Campaign:
    campaign = Campaign.objects.select_related("source").filter(pk=pk).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def step_get(campaign: Campaign, pk: int) -> CampaignStep:
    step = campaign.steps.filter(pk=pk).first()
    if step is None:
        raise Http404("No such step.")
    return step


def steps_with_counts(campaign: Campaign) -> list[CampaignStep]:
    """The sequence in order, each with its sends by outcome (two queries: the steps, and the campaign's sends
    counted per step from one index)."""
    counts: dict[int, dict[str, int]] = {}
    rows = CampaignSend.objects.filter(campaign=campaign).values("step_id", "status").annotate(n=Count("*"))
    for row in rows.order_by():  # one count per (step, status) from the index; the outcomes added up here
        tally = counts.setdefault(row["step_id"], {"queued": 0, "sent": 0, "skipped": 0, "bounced": 0})
        outcome = Sent.SENT if row["status"] == Sent.BOUNCED else row["status"]  # a bounce was sent first
        tally[outcome] += row["n"]
        if row["status"] == Sent.BOUNCED:
            tally["bounced"] += row["n"]
    none = {"queued": 0, "sent": 0, "skipped": 0, "bounced": 0}
    steps = list(campaign.steps.order_by("position"))
    for step in steps:
        for name, value in counts.get(step.pk, none).items():
            setattr(step, name, value)
    return steps


def enrollment_counts(campaign: Campaign) -> dict[str, int]:
    """Enrolled, still active, and stopped by an unsubscribe or a bounce: one count per stop reason (the campaign's
    index holds both columns), added up here."""
    counts = {"total": 0, "active": 0, "unsubscribed": 0, "bounced": 0}
    for row in (
        campaign.enrollments.values("stop_reason").annotate(n=Count("*"), stopped=Count("stopped_at")).order_by()
    ):
        counts["total"] += row["n"]
        counts["active"] += row["n"] - row["stopped"]
        if row["stop_reason"] in ("unsubscribed", "bounced"):
            counts[row["stop_reason"]] += row["n"]
    return counts


def campaign_sends(campaign: Campaign, *, email: str = "") -> QuerySet[CampaignSend]:
    """The campaign's sends newest first; ``email``: only those to that contact (any spelling of the address)."""
    sends = CampaignSend.objects.filter(campaign=campaign)
    if email:
        sends = sends.filter(enrollment__contact__email_normalized=email_normalize(email))
    # Prefetched, not joined: a deep page's OFFSET then skips index entries, not joined rows.
    return sends.prefetch_related("enrollment__contact", "step").order_by("-queued_at", "-id")


def follow_ups_for(user: User, *, show_done: bool = False) -> QuerySet[FollowUp]:
    """A loan officer's own follow-ups; every one for a manager; nothing for anyone else."""
    follow_ups = FollowUp.objects.select_related(
        "past_client__contact", "past_client__loan", "past_client__application", "officer", "market_rate"
    )
    if not show_done:
        follow_ups = follow_ups.filter(done_at__isnull=True)
    if is_manager(user):
        return follow_ups.order_by("due_date", "id")
    if roles.has_role(user, roles.LOAN_OFFICER):
        return follow_ups.filter(officer=user).order_by("due_date", "id")
    return follow_ups.none()


def follow_up_for(user: User, pk: int) -> FollowUp:
    follow_up = follow_ups_for(user, show_done=True).filter(pk=pk).first()
    if follow_up is None:
        raise Http404("No such follow-up.")
    return follow_up
