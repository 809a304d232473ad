"""Staff URLs under /staff/origination/ (namespace "origination"). Each sub-domain keeps its own module."""

from django.urls import URLPattern, URLResolver, include, path

from origination.views import assignment, staff

app_name = "origination"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff.PipelineView.as_view(), name="home"),
    path("applications/<int:pk>/", staff.ApplicationDetailView.as_view(), name="application-detail"),
    path("applications/<int:pk>/transition/", staff.ApplicationTransitionView.as_view(), name="application-transition"),
    path(
        "applications/<int:pk>/loan-officer/",
        assignment.LoanOfficerAssignView.as_view(),
        name="application-loan-officer",
    ),
]
# Sub-domain URL modules (intake, documents, underwriting, compliance, communication, closing) are added below.
SUBDOMAIN_URLCONFS: list[str] = [
    "origination.urls.intake",
    "origination.urls.underwriting",
    "origination.urls.documents",
    "origination.urls.communication",
    "origination.urls.compliance",
    "origination.urls.closing",
    "origination.urls.hmda_data",
]
urlpatterns += [path("", include(module)) for module in SUBDOMAIN_URLCONFS]
