"""A loan's paginated history pages for staff (namespace "servicing", under /staff/servicing/)."""

from django.urls import path

from servicing.views import loan_history

urlpatterns = [
    path("loans/<int:pk>/schedule/", loan_history.LoanScheduleView.as_view(), name="loan-schedule"),
    path("loans/<int:pk>/transactions/", loan_history.LoanTransactionsView.as_view(), name="loan-transactions"),
    path("loans/<int:pk>/ledger/", loan_history.LoanLedgerView.as_view(), name="loan-ledger"),
]
