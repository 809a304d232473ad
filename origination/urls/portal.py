"""Borrower URLs under /portal/applications/ (namespace "origination_portal")."""

from django.urls import path

from origination.views import apply, communication, compliance, documents, intake, portal

app_name = "origination_portal"
urlpatterns = [
    path("<int:pk>/", portal.ApplicationStatusView.as_view(), name="application"),
    path("<int:pk>/apply/", apply.ApplyResumeView.as_view(), name="apply-resume"),
    path("<int:pk>/apply/review/", apply.ApplyReviewView.as_view(), name="apply-review"),
    path("<int:pk>/apply/<slug:step>/", apply.ApplyStepView.as_view(), name="apply-step"),
    path("<int:pk>/intake/panel/", intake.PortalIntakePanelView.as_view(), name="intake-panel"),
    path("<int:pk>/documents/panel/", documents.BorrowerDocumentsPanelView.as_view(), name="documents-panel"),
    path("<int:pk>/documents/upload/", documents.BorrowerDocumentUploadView.as_view(), name="documents-upload"),
    path(
        "<int:pk>/documents/adverse-action.pdf",
        documents.BorrowerAdverseActionDownloadView.as_view(),
        name="adverse-action-notice",
    ),
    path(
        "<int:pk>/documents/files/<int:version_pk>/",
        documents.BorrowerDocumentDownloadView.as_view(),
        name="document-download",
    ),
    path("<int:pk>/messages/panel/", communication.BorrowerMessagesPanelView.as_view(), name="messages-panel"),
    path("<int:pk>/messages/", communication.BorrowerMessagePostView.as_view(), name="message-post"),
    path("<int:pk>/disclosures/panel/", compliance.BorrowerDisclosuresPanelView.as_view(), name="disclosures-panel"),
    path(
        "<int:pk>/disclosures/<int:disclosure_pk>/pdf/",
        compliance.BorrowerDisclosureDownloadView.as_view(),
        name="disclosure-download",
    ),
]
