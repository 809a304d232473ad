"""Staff document URLs (namespace "origination"). Borrower document URLs are in origination.urls.portal."""

from django.urls import path

from origination.views import documents

urlpatterns = [
    path("applications/<int:pk>/documents/panel/", documents.DocumentsPanelView.as_view(), name="documents-panel"),
    path("applications/<int:pk>/documents/upload/", documents.DocumentUploadView.as_view(), name="documents-upload"),
    path("applications/<int:pk>/documents/request/", documents.DocumentRequestView.as_view(), name="documents-request"),
    path(
        "applications/<int:pk>/documents/<int:document_pk>/verify/",
        documents.DocumentVerifyView.as_view(),
        name="document-verify",
    ),
    path(
        "applications/<int:pk>/documents/<int:document_pk>/reject/",
        documents.DocumentRejectView.as_view(),
        name="document-reject",
    ),
    path(
        "applications/<int:pk>/documents/files/<int:version_pk>/",
        documents.DocumentDownloadView.as_view(),
        name="document-download",
    ),
]
