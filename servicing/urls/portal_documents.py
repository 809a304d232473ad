"""Borrower documents in the portal (namespace "servicing_portal"): a loan's list and the payment notice choice."""

from django.urls import path

from servicing.views import documents

urlpatterns = [
    path("<int:pk>/documents/", documents.PortalLoanDocumentsView.as_view(), name="loan-documents"),
    path("<int:pk>/payment-notices/", documents.PaymentNoticePreferenceView.as_view(), name="loan-payment-notices"),
]
