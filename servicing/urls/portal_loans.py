"""The borrower's loan pages under /portal/loans/ (namespace "servicing_portal"): loan, schedule, history,
one-time payment, autopay."""

from django.urls import path

from servicing.views import portal

urlpatterns = [
    path("", portal.LoansIndexView.as_view(), name="loans"),
    path("<int:pk>/", portal.LoanDetailView.as_view(), name="loan-detail"),
    path("<int:pk>/schedule/", portal.LoanScheduleView.as_view(), name="loan-schedule"),
    path("<int:pk>/history/", portal.LoanHistoryView.as_view(), name="loan-history"),
    path("<int:pk>/pay/", portal.OneTimePaymentView.as_view(), name="loan-pay"),
    path("<int:pk>/pay/<int:payment_pk>/cancel/", portal.PendingPaymentCancelView.as_view(), name="loan-pay-cancel"),
    path("<int:pk>/autopay/", portal.AutopayView.as_view(), name="loan-autopay"),
    path("<int:pk>/autopay/cancel/", portal.AutopayCancelView.as_view(), name="loan-autopay-cancel"),
]
