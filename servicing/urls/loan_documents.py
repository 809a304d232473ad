"""A loan's documents for staff, under /staff/servicing/ (namespace "servicing")."""

from django.urls import path

from servicing.views import documents

urlpatterns = [
    path("loans/<int:pk>/documents/", documents.StaffLoanDocumentsView.as_view(), name="loan-documents"),
    path("documents/<int:pk>/", documents.StaffDocumentDownloadView.as_view(), name="document-download"),
]
