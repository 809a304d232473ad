"""Staff URLs under /staff/servicing/ (namespace "servicing"). Each sub-domain keeps its own module."""

from django.urls import URLPattern, URLResolver, include, path

from servicing.views import staff

app_name = "servicing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff.HomeView.as_view(), name="home"),
    path("loans/<int:pk>/", staff.LoanDetailView.as_view(), name="loan-detail"),
    path("ledger/trial-balance/", staff.TrialBalanceView.as_view(), name="trial-balance"),
]
# Sub-domain URL modules (payoff, ...), one line each.
SUBDOMAIN_URLCONFS: list[str] = [
    "servicing.urls.replay",
    "servicing.urls.payoff",
    "servicing.urls.loan_history",
    "servicing.urls.loan_documents",
]
urlpatterns += [path("", include(module)) for module in SUBDOMAIN_URLCONFS]
