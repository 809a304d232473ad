"""Staff pages: the pipeline, the application workspace and its workflow actions. Thin: selectors and services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.pagination import CappedPaginator
from lending.core.permissions import RoleRequiredMixin
from origination import selectors, workflow
from origination.forms.assignment import LoanOfficerForm
from origination.models import Status
from origination.services.assignment import REASSIGN_ROLES
from origination.services.workflow import StaleApplication, TransitionBlocked, application_transition

PIPELINE_PAGE_SIZE = 50
MAX_AGE_DAYS = 36_500
# Panels of the application workspace, each served by its sub-domain at this URL name (loaded by htmx).
WORKSPACE_PANELS = (
    ("Borrowers and application", "origination:intake-panel"),
    ("Documents", "origination:documents-panel"),
    ("Credit, findings and conditions", "origination:underwriting-panel"),
    ("Compliance and disclosures", "origination:compliance-panel"),
    ("Closing and funding", "origination:closing-panel"),
    ("Messages and tasks", "origination:communication-panel"),
)


class OriginationStaffMixin(RoleRequiredMixin):
    allowed_roles = selectors.ORIGINATION_ROLES


class PipelineView(OriginationStaffMixin, TemplateView):
    template_name = "origination/pipeline.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        status, query, mine = params.get("status", ""), params.get("q", "").strip(), params.get("mine") == "1"
        officer_id, product_id, age = (
            _int(params.get("officer")),
            _int(params.get("product")),
            _age_days(params.get("age")),
        )
        matching = selectors.pipeline(
            status=status,
            query=query,
            user=self.request.user if mine else None,
            officer_id=officer_id,
            product_id=product_id,
            min_days_in_state=age,
        )
        narrowed = bool(query or mine or officer_id or product_id or age)
        paginator = CappedPaginator(
            selectors.pipeline_ids(matching, status=status, narrowed=narrowed), PIPELINE_PAGE_SIZE
        )
        # Whole-pipeline counts label the status pills when browsing; a narrowed list shows its own total instead.
        counts = None if narrowed else selectors.pipeline_counts()
        if counts is not None:
            # The status counts already give the total: spare the database a second COUNT(*).
            paginator.total = counts.get(status, 0) if status else sum(counts.values())
        page = paginator.get_page(params.get("page"))
        filters = {k: v for k, v in params.items() if k != "page" and v}
        context.update(
            page=page,
            rows=selectors.pipeline_page_rows(list(page.object_list)),
            detail_url=reverse("origination:application-detail", args=[0]).removesuffix("0/"),
            status=status,
            query=query,
            mine=mine,
            narrowed=narrowed,
            officer_id=officer_id,
            product_id=product_id,
            age=age,
            choices=selectors.pipeline_filter_choices(),
            statuses=[(value, label, counts.get(value, 0) if counts else None) for value, label in Status.choices],
            filter_query=urlencode({k: v for k, v in filters.items() if k != "status"}),
            page_query=urlencode(filters),
        )
        return context


# Ids are 64-bit; a filter beyond that cannot match and would overflow the database driver.
MAX_FILTER_INT = 2**63 - 1


def _int(value: str | None) -> int | None:
    """A positive whole number from a query parameter, or None (bad values are ignored, not errors)."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > len(str(MAX_FILTER_INT)):
        return None
    number = int(value)
    return number if 0 < number <= MAX_FILTER_INT else None


def _age_days(value: str | None) -> int | None:
    """Days in the current state; a figure beyond a century is capped there (older dates overflow)."""
    days = _int(value)
    return min(days, MAX_AGE_DAYS) if days else None


def _panels(application) -> list[tuple[str, str, str]]:
    """(title, url, anchor) of each workspace panel whose sub-domain is installed."""
    panels = []
    for title, url_name in WORKSPACE_PANELS:
        try:
            panels.append((title, reverse(url_name, args=[application.pk]), url_name.split(":")[1]))
        except NoReverseMatch:
            continue  # that sub-domain is not installed yet
    return panels


class ApplicationDetailView(OriginationStaffMixin, TemplateView):
    template_name = "origination/application_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        borrowers, timeline = selectors.borrowers_and_timeline(application)
        context.update(
            application=application,
            borrowers=borrowers,
            options=workflow.transition_options(application, self.request.user),
            timeline=timeline,
            panels=_panels(application),
            officer_form=LoanOfficerForm(initial={"loan_officer": application.loan_officer_id})
            if roles.has_role(self.request.user, *REASSIGN_ROLES)
            else None,
        )
        return context


class ApplicationTransitionView(OriginationStaffMixin, View):
    """POST one workflow action. Blocked or stale actions re-render the workspace with the reason (409)."""

    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        name = request.POST.get("transition", "")
        try:
            application_transition(
                application=application,
                name=name,
                actor=request.user,
                note=request.POST.get("note", ""),
                expected_status=request.POST.get("expected_status") or None,
            )
        except (TransitionBlocked, StaleApplication) as exc:
            messages.error(request, exc.explained() if isinstance(exc, TransitionBlocked) else str(exc))
            detail = ApplicationDetailView()
            detail.setup(request, pk=pk)
            response = detail.get(request, pk=pk)
            response.status_code = 409
            return response
        messages.success(request, f"{workflow.TRANSITION_LABELS[name]}: done.")
        return redirect("origination:application-detail", pk=pk)
