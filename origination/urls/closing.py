"""Closing and funding (staff): the workspace panel and its actions."""

from django.urls import path

from origination.views import closing

urlpatterns = [
    path("applications/<int:pk>/closing/panel/", closing.ClosingPanelView.as_view(), name="closing-panel"),
    path("applications/<int:pk>/closing/schedule/", closing.ClosingScheduleView.as_view(), name="closing-schedule"),
    path(
        "applications/<int:pk>/closing/documents/",
        closing.ClosingDocumentsGenerateView.as_view(),
        name="closing-documents-generate",
    ),
    path(
        "applications/<int:pk>/closing/signing/",
        closing.ClosingSigningRecordView.as_view(),
        name="closing-signing-record",
    ),
    path("applications/<int:pk>/closing/fund/", closing.LoanFundView.as_view(), name="loan-fund"),
    path(
        "closing-documents/<int:pk>/pdf/",
        closing.ClosingDocumentDownloadView.as_view(),
        name="closing-document-download",
    ),
]
