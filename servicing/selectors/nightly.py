"""Reads for the jobs page: the close-of-business runs with their steps, one run, and a step's loan errors."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from servicing.models import NightlyLoanError, NightlyRun, NightlyStepRun


def _with_steps(runs: QuerySet[NightlyRun]) -> QuerySet[NightlyRun]:
    return runs.select_related("started_by").prefetch_related(
        Prefetch("steps", queryset=NightlyStepRun.objects.order_by("position"))
    )


def nightly_runs() -> QuerySet[NightlyRun]:
    """Every run, the latest business date first, each with its steps (two queries per page)."""
    return _with_steps(NightlyRun.objects.order_by("-business_date"))


def nightly_run_for_staff(*, pk: int) -> NightlyRun:
    return get_object_or_404(_with_steps(NightlyRun.objects.all()), pk=pk)


def nightly_step_for_staff(*, pk: int) -> NightlyStepRun:
    return get_object_or_404(NightlyStepRun.objects.select_related("run"), pk=pk)


def nightly_step_errors(step: NightlyStepRun) -> QuerySet[NightlyLoanError]:
    """The step's loan errors, by loan, each with its loan (for the link and the loan number)."""
    return (
        NightlyLoanError.objects.filter(step=step)
        .select_related("loan")
        .only("id", "message", "created_at", "step_id", "loan__id", "loan__loan_number")
        .order_by("loan_id")
    )
