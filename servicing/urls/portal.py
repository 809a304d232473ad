"""Borrower portal URLs under /portal/loans/ (namespace "servicing_portal"). Only the borrower's own loans are
reachable (404 otherwise). Each sub-domain keeps its own module."""

from django.urls import include, path

app_name = "servicing_portal"
urlpatterns: list = []
# Sub-domain URL modules (loan pages, payoff, ...), one line each.
SUBDOMAIN_URLCONFS: list[str] = [
    "servicing.urls.portal_loans",
    "servicing.urls.portal_payoff",
    "servicing.urls.portal_documents",
    "servicing.urls.portal_plans",
]
urlpatterns += [path("", include(module)) for module in SUBDOMAIN_URLCONFS]
