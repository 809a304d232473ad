"""The jobs page (/staff/jobs/): the close-of-business runs with their steps, live progress, the loans in error;
a manager starts a run for a date or reruns a failed step. Thin: a selector or the runner service, then a template."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin
from servicing.forms.nightly import NightlyStartForm
from servicing.models import NightlyRun, NightlyStatus
from servicing.selectors import nightly as selectors
from servicing.services.nightly import runner

JOBS_ROLES = (roles.SERVICER, roles.MANAGER)
START_ROLES = (roles.MANAGER,)
RUNS_PAGE_SIZE = 20
ERRORS_PAGE_SIZE = 100


def _can_start(request) -> bool:
    return roles.has_role(request.user, *START_ROLES)


class JobsView(RoleRequiredMixin, TemplateView):
    allowed_roles = JOBS_ROLES
    template_name = "servicing/jobs/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_jobs_context(self.request))
        return context


def _jobs_context(request, form: NightlyStartForm | None = None) -> dict:
    """The runs page by page, and for a manager the start form (its date: the first one due)."""
    page = Paginator(selectors.nightly_runs(), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    can_start = _can_start(request)
    due = []
    if can_start:
        today = runner.local_today()
        due = runner.nightly_dates_due(today)
        form = form or NightlyStartForm(initial={"business_date": due[0] if due else runner.last_closable_date(today)})
    return {"page": page, "runs": list(page.object_list), "can_start": can_start, "form": form, "due": due}


def _jobs_page(request, *, status: int, form: NightlyStartForm | None = None):
    """The jobs page again, answering a refused POST (400 bad input, 409 not possible now)."""
    return render(request, JobsView.template_name, _jobs_context(request, form), status=status)


class RunPartialView(RoleRequiredMixin, TemplateView):
    """One run's card: what htmx polls while the run is running (the card stops polling once it has finished)."""

    allowed_roles = JOBS_ROLES
    template_name = "servicing/jobs/_run.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(run=selectors.nightly_run_for_staff(pk=self.kwargs["pk"]), can_start=_can_start(self.request))
        return context


class StepErrorsView(RoleRequiredMixin, TemplateView):
    allowed_roles = JOBS_ROLES
    template_name = "servicing/jobs/step_errors.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        step = selectors.nightly_step_for_staff(pk=self.kwargs["pk"])
        page = Paginator(selectors.nightly_step_errors(step), ERRORS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(step=step, page=page, errors=list(page.object_list))
        return context


class RunStartView(RoleRequiredMixin, View):
    """POST: start (or run again) the close of business for a date. Bad input re-renders the page with a 400."""

    allowed_roles = START_ROLES

    def post(self, request):
        form = NightlyStartForm(request.POST)
        if form.is_valid():
            try:
                run = runner.nightly_run_start(
                    business_date=form.cleaned_data["business_date"],
                    actor=request.user,
                    trigger=NightlyRun.Trigger.STAFF,
                )
            except runner.NightlyRunRefused as refused:
                form.add_error("business_date", refused.message)
            else:
                messages.success(request, _started_message(run))
                return HttpResponseRedirect(reverse("jobs:list"))
        return _jobs_page(request, status=400, form=form)


class StepRerunView(RoleRequiredMixin, View):
    """POST: run a failed step of a run again (only its loans still pending: the same idempotent code)."""

    allowed_roles = START_ROLES

    def post(self, request, pk: int):
        step = selectors.nightly_step_for_staff(pk=pk)
        if step.status != NightlyStatus.FAILED:
            messages.error(request, f"{step.label} for {step.run.business_date:%Y-%m-%d} has not failed.")
            return _jobs_page(request, status=409)
        try:
            run = runner.nightly_run_start(
                business_date=step.run.business_date,
                actor=request.user,
                trigger=NightlyRun.Trigger.STAFF,
                only_step=step.name,
            )
        except runner.NightlyRunRefused as refused:
            messages.error(request, refused.message)
            return _jobs_page(request, status=409)
        messages.success(request, _started_message(run, step.label))
        return HttpResponseRedirect(reverse("jobs:list"))


def _started_message(run: NightlyRun, label: str = "") -> str:
    what = (
        f"{label} for {run.business_date:%Y-%m-%d}"
        if label
        else f"The close of business for {run.business_date:%Y-%m-%d}"
    )
    if run.status == NightlyStatus.RUNNING:
        return f"{what} has started; its progress shows below."
    return f"{what} ran: {run.get_status_display().lower()}."
