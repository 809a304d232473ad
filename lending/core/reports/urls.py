"""/staff/reports/ (namespace "reports"): the index, and /staff/reports/<slug>/ for every registered report view."""

from django.urls import path

from lending.core.reports import registry
from lending.core.reports.views import ReportIndexView

app_name = "reports"
urlpatterns = [
    path("", ReportIndexView.as_view(), name="index"),
    *(
        path(f"{entry.slug}/", entry.view.as_view(), name=entry.slug)
        for entry in registry.routed_reports()
        if entry.view is not None
    ),
]
