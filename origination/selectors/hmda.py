"""The applications a year's HMDA Loan/Application Register reports, with everything their rows read loaded up
front (a handful of queries for the whole year)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Prefetch, Q
from django.utils import timezone

from origination import workflow
from origination.models import (
    Application,
    Borrower,
    ComplianceCheck,
    Decision,
    Disclosure,
    TransitionLog,
)

FINAL_STATUSES = (workflow.DENIED, workflow.WITHDRAWN, workflow.CLOSED, workflow.FUNDED)
CONSUMMATED = (workflow.CLOSED, workflow.FUNDED)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (datetime.combine(date(year, 1, 1), time.min, zone), datetime.combine(date(year + 1, 1, 1), time.min, zone))


def hmda_applications(*, year: int) -> list[Application]:
    """Mortgage applications (submitted, so they are applications under 1003.2(b)) whose final action fell in
    ``year``: consummated (closing date) or denied or withdrawn (the day the application reached that status)."""
    start, end = _year_bounds(year)
    decided = Q(
        status__in=[workflow.DENIED, workflow.WITHDRAWN], status_changed_at__gte=start, status_changed_at__lt=end
    )
    consummated = Q(status__in=CONSUMMATED, closing_date__year=year)
    borrowers = Borrower.objects.defer("ssn").select_related("demographics").prefetch_related("employments")
    return list(
        Application.objects.filter(product__kind="mortgage", submitted_at__isnull=False)
        .filter(decided | consummated)
        .select_related("product", "subject_property")
        .prefetch_related(
            Prefetch("borrowers", queryset=borrowers.order_by("-is_primary", "id")),
            Prefetch(
                "transitions",
                queryset=TransitionLog.objects.filter(to_status__in=FINAL_STATUSES).order_by("created_at", "id"),
                to_attr="final_transitions",
            ),
            Prefetch(
                "disclosures",
                queryset=Disclosure.objects.filter(
                    kind__in=[Disclosure.Kind.LOAN_ESTIMATE, Disclosure.Kind.CLOSING_DISCLOSURE]
                ).order_by("issued_on", "id"),
                to_attr="pricing_disclosures",
            ),
            Prefetch(
                "decisions",
                queryset=Decision.objects.filter(outcome=Decision.Outcome.DENIED).order_by("-decided_at", "-id"),
                to_attr="denials",
            ),
            Prefetch("compliance_checks", queryset=ComplianceCheck.objects.filter(code="hoepa"), to_attr="hoepa"),
        )
        .order_by("number")
    )
