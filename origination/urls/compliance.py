"""Compliance and disclosures (staff): the workspace panel and its actions."""

from django.urls import path

from origination.views import compliance

urlpatterns = [
    path("applications/<int:pk>/compliance/panel/", compliance.CompliancePanelView.as_view(), name="compliance-panel"),
    path("applications/<int:pk>/compliance/run/", compliance.ComplianceRunView.as_view(), name="compliance-run"),
    path(
        "applications/<int:pk>/disclosures/<str:kind>/issue/",
        compliance.DisclosureIssueView.as_view(),
        name="disclosure-issue",
    ),
    path("disclosures/<int:pk>/receipt/", compliance.DisclosureReceiptView.as_view(), name="disclosure-receipt"),
    path("disclosures/<int:pk>/pdf/", compliance.DisclosureDownloadView.as_view(), name="disclosure-download"),
]
