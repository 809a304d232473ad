from django.urls import path

from servicing.views import staff

app_name = "servicing"
urlpatterns = [
    path("", staff.HomeView.as_view(), name="home"),
    path("loans/<int:pk>/", staff.LoanDetailView.as_view(), name="loan-detail"),
    path("ledger/trial-balance/", staff.TrialBalanceView.as_view(), name="trial-balance"),
]
