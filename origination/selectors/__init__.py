"""Origination reads: every query a page needs, with its joins, and the access rules for applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Count, FilteredRelation, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lending.core import roles
from lending.core.compiled import CompiledIds, CompiledQuery, CompiledRowsByIds, CompiledValues, fetch_together
from lending.core.models import User
from lending.core.roles import RequestUser
from origination.models import Application, Borrower, LoanProduct, Status, TransitionLog
from origination.models.applications import STATUS_BADGES

# Staff roles that work applications; managers see everything too.
ORIGINATION_ROLES = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER)
SSN_ROLES = (roles.PROCESSOR, roles.UNDERWRITER, roles.MANAGER)  # who may see a full SSN (credit, verification)


def can_work_applications(user: RequestUser | None) -> bool:
    return roles.has_role(user, *ORIGINATION_ROLES)


def can_see_full_ssn(user: RequestUser | None) -> bool:
    return roles.has_role(user, *SSN_ROLES)


def application_queryset() -> QuerySet[Application]:
    return Application.objects.select_related(
        "product", "applicant", "loan_officer", "processor", "underwriter", "closer"
    )


# Read on every visit of an application's workspace and its panels: compiled once per process (lending.core.compiled),
# as building the six joins' SQL cost more CPU than the database's answer (issue 15, Load).
_APPLICATION = CompiledQuery(lambda pk: application_queryset().filter(pk=pk), pk=int)
_BORROWERS = CompiledQuery(lambda application: Borrower.objects.filter(application=application), application=int)
_TIMELINE = CompiledQuery(
    lambda application: (
        TransitionLog.objects.filter(application=application).select_related("actor").order_by("created_at", "id")
    ),
    application=int,
)


def application_for_staff(*, user: RequestUser, pk: int) -> Application:
    """The application for a staff page: 403 for roles outside origination, 404 when it does not exist."""
    if not can_work_applications(user):
        raise PermissionDenied("Applications are for origination staff.")
    application = next(iter(_APPLICATION.fetch(pk=int(pk))), None)
    if application is None:
        raise Http404("No such application")
    return application


def borrowers_and_timeline(application: Application) -> tuple[list[Borrower], list[TransitionLog]]:
    """The workspace's borrowers (primary first) and its transitions (oldest first), in one round trip."""
    borrowers, timeline = fetch_together(
        (_BORROWERS, {"application": application.pk}), (_TIMELINE, {"application": application.pk})
    )
    return borrowers, timeline


def application_for_borrower(*, user: RequestUser, pk: int) -> Application:
    """The borrower's own application, else 404 (never reveal that someone else's exists)."""
    if not roles.is_borrower(user):
        raise Http404("No such application")
    try:
        return application_queryset().get(pk=pk, applicant=user)
    except Application.DoesNotExist as exc:
        raise Http404("No such application") from exc


# The portal home reads it on every visit: compiled once per process (its six joins' SQL cost ~1.5 ms to build).
_APPLICATIONS_OF = CompiledQuery(
    lambda applicant: application_queryset().filter(applicant_id=applicant).order_by("-created_at"), applicant=int
)


def applications_for_borrower(*, user: User) -> list[Application]:
    return _APPLICATIONS_OF.fetch(applicant=user.pk)


AGE_IN_STATE_DAYS = (3, 7, 14, 30)


def pipeline(
    *,
    status: str = "",
    query: str = "",
    user: User | None = None,
    officer_id: int | None = None,
    product_id: int | None = None,
    min_days_in_state: int | None = None,
) -> QuerySet[Application]:
    """The pipeline's matching applications, newest first, as a light queryset (no joins) to paginate.

    Pagination runs on this (ids through the (created_at, id) index); `pipeline_page_rows` then loads the
    one page with its joins, so a deep page does not join every skipped row.
    """
    rows = Application.objects.all()
    if status:
        rows = rows.filter(status=status)
    if officer_id:
        rows = rows.filter(loan_officer_id=officer_id)
    if product_id:
        rows = rows.filter(product_id=product_id)
    if min_days_in_state:
        rows = rows.filter(status_changed_at__lte=timezone.now() - timedelta(days=min_days_in_state))
    if user is not None:
        rows = rows.filter(Q(loan_officer=user) | Q(processor=user) | Q(underwriter=user) | Q(closer=user))
    if query:
        matching = Borrower.objects.filter(
            Q(last_name__icontains=query) | Q(first_name__icontains=query) | Q(email__icontains=query)
        ).values("application_id")
        rows = rows.filter(Q(number__icontains=query) | Q(pk__in=matching))
    return rows.order_by("-created_at", "-id")


@dataclass(frozen=True, slots=True)
class PipelineRow:
    """One pipeline row as the page shows it: plain values, no model instances (issue 15, "Load": building an
    application, its product, officer and borrower for each of 50 rows was a quarter of the page's CPU)."""

    pk: int
    number: str
    borrower: str | None  # the primary borrower's name; None when the application has no primary borrower yet
    product: str
    amount_requested: Decimal | None
    status: str
    status_label: str
    status_badge: str
    days_in_state: int
    loan_officer: str  # as User.__str__ shows them: full name, else email; "" when unassigned
    created_on: date  # in the current time zone, as the template's |date showed it


_STATUS_LABELS = dict(Status.choices)


def _pipeline_page_values(ids: list[int]) -> QuerySet[Any, Any]:
    return (
        Application.objects.filter(pk__in=ids)
        .annotate(primary_borrower=FilteredRelation("borrowers", condition=Q(borrowers__is_primary=True)))
        .values(
            "pk",
            "number",
            "primary_borrower__id",
            "primary_borrower__first_name",
            "primary_borrower__last_name",
            "product__name",
            "amount_requested",
            "status",
            "status_changed_at",
            "loan_officer__first_name",
            "loan_officer__last_name",
            "loan_officer__email",
            "created_at",
        )
        .order_by()
    )


# Compiled once per page size: building the joins' queryset cost more CPU than the database's answer (issue 15).
_PIPELINE_PAGE_VALUES = CompiledRowsByIds(_pipeline_page_values)


def pipeline_page_rows(ids: list[int]) -> list[PipelineRow]:
    """The applications of one pipeline page, with product, loan officer and primary borrower, in the page's order:
    one query (the primary borrower joined on the application's one primary row) returning plain values.
    Only the joins the page shows: planning the workspace's six-way join took longer than running it (11 ms of
    planning at 50,000 applications, issue 15)."""
    now = timezone.now()
    by_id = {}
    rows = (row.values() for row in _PIPELINE_PAGE_VALUES.fetch(ids))  # in the order values() names them
    for pk, number, primary, first, last, product, amount, status, changed_at, of, ol, oe, created_at in rows:
        officer = (f"{of} {ol}".strip() or oe) if oe is not None else ""
        by_id[pk] = PipelineRow(
            pk=pk,
            number=number,
            borrower=None if primary is None else f"{first} {last}".strip(),
            product=product,
            amount_requested=amount,
            status=status,
            status_label=_STATUS_LABELS.get(status, status),
            status_badge=STATUS_BADGES.get(status, "primary"),
            days_in_state=(now - changed_at).days,
            loan_officer=officer,
            created_on=timezone.localtime(created_at).date(),
        )
    return [by_id[pk] for pk in ids if pk in by_id]


# The filters' three reads compiled once per process: building them cost more CPU than their few rows (issue 15).
_GROUPS_NAMED = CompiledQuery(lambda name: Group.objects.filter(name=name), name=str)
_ACTIVE_MEMBERS = CompiledQuery(
    lambda group: User.objects.filter(groups=group, is_active=True).order_by("first_name", "email"), group=int
)
_PRODUCTS_BY_NAME = CompiledQuery(lambda: LoanProduct.objects.order_by("name"))


def pipeline_filter_choices() -> dict[str, list[Any]]:
    """Options for the pipeline's officer and product filters.

    The loan officers by their group's id, looked up first: joined by the group's name, PostgreSQL cannot tell the
    few loan officers from the many borrowers and reads every user (15 ms at 50,000 borrowers, issue 15); by id
    its statistics of the group memberships send it through the index. The officers and the products in one round
    trip."""
    group = next(iter(_GROUPS_NAMED.fetch(name=roles.LOAN_OFFICER)), None)
    if group is None:
        officers, products = [], _PRODUCTS_BY_NAME.fetch()
    else:
        officers, products = fetch_together((_ACTIVE_MEMBERS, {"group": group.pk}), (_PRODUCTS_BY_NAME, {}))
    return {"officers": officers, "products": products, "ages": list(AGE_IN_STATE_DAYS)}


# Read on every visit of the pipeline as it opens (or narrowed to a status): compiled once per process (issue 15).
_STATUS_COUNTS = CompiledValues(lambda: Application.objects.order_by().values_list("status").annotate(n=Count("*")))
_PIPELINE_IDS = CompiledIds(lambda: pipeline())
_PIPELINE_IDS_OF = CompiledIds(lambda status: pipeline(status=status), status=str)


def pipeline_counts() -> dict[str, int]:
    """Applications per status. COUNT(*), not COUNT(id): the status index alone answers it (an index-only scan),
    where counting ids reads every row of the table (29 ms against 14 ms at 50,000 applications, issue 15)."""
    return dict(_STATUS_COUNTS.fetch())


def pipeline_ids(matching: QuerySet[Application], *, status: str, narrowed: bool) -> Any:
    """The pks of ``matching`` (``pipeline``'s) for a ``CappedPaginator``: compiled when only a status narrows it."""
    if narrowed:
        return matching.values_list("pk", flat=True)
    return _PIPELINE_IDS_OF.rows(status=status) if status else _PIPELINE_IDS.rows()
