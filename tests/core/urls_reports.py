"""The project's URLs plus a test-only report (tests/core/test_reports_framework.py)."""

from datetime import date
from decimal import Decimal

import django_filters
from django.db.models import Count, DecimalField, Q, Value
from django.urls import path

from lending.core import reports, roles
from lending.core.models import User
from lending.urls import urlpatterns as project_urlpatterns


class UserFilterSet(reports.ReportFilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="icontains", label="Email")
    joined_from, joined_to = reports.date_range_filters("date_joined__date", "Joined")

    def filter_as_of(self, queryset, name, value: date):
        return queryset.filter(date_joined__date__lte=value)


class UserReport(reports.ReportView):
    """Users as report rows: every column kind, a summary, a chart, the as-of filter."""

    slug = "test-users"
    title = "Users"
    description = "Test report over users."
    allowed_roles = (roles.MANAGER, roles.ACCOUNTING, roles.COLLECTOR)
    filterset_class = UserFilterSet
    page_size = 2
    columns = (
        reports.Column("email", "Email"),
        reports.Column("first_name", "First name"),
        reports.Column("date_joined", "Joined", reports.DATE),
        reports.Column("limit", "Limit", reports.MONEY),
        reports.Column("rate", "Rate", reports.PERCENT),
        reports.Column("logins", "Logins", reports.INTEGER, accessor=lambda row: len(row["email"])),
    )

    def get_queryset(self):
        return (
            User.objects.annotate(
                limit=Value(Decimal("1234.5"), output_field=DecimalField(max_digits=14, decimal_places=2)),
                rate=Value(Decimal("6.125"), output_field=DecimalField(max_digits=7, decimal_places=4)),
            )
            .order_by("email")
            .values("email", "first_name", "date_joined", "limit", "rate")
        )

    def get_report_context(self, rows):
        totals = rows.order_by().aggregate(users=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
        return {"totals": totals}

    def get_charts(self, rows, context):
        totals = context["totals"]
        return [
            reports.Chart(
                id="users",
                title="Users",
                labels=["Active", "Inactive"],
                datasets=[reports.Dataset("Users", [totals["active"], totals["users"] - totals["active"]])],
            )
        ]


urlpatterns = [
    *project_urlpatterns,
    path("staff/test-reports/users/", UserReport.as_view(), name="test-users-report"),
]
