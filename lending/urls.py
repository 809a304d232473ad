from django.contrib import admin
from django.urls import include, path

from crm.views.public import ContactView, PartnerStatusView
from crm.views.unsubscribe import UnsubscribeView
from lending.core import views as core_views
from origination.views.public import ApplyCheckEmailView, ApplyView
from servicing.views.documents import PortalDocumentDownloadView
from servicing.views.portal import PortalHomeView

urlpatterns = [
    path("", include("lending.core.urls")),
    path("apply/", ApplyView.as_view(), name="apply"),
    path("apply/check-email/", ApplyCheckEmailView.as_view(), name="apply-check-email"),
    path("contact/", ContactView.as_view(), name="contact"),
    # A referring agent's milestones-only view of one loan, through the signed link their emails carry.
    path("status/<str:token>/", PartnerStatusView.as_view(), name="crm_status"),
    # The signed opt-out link every campaign email carries (CAN-SPAM); no login.
    path("crm/unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="crm_unsubscribe"),
    path("portal/", PortalHomeView.as_view(), name="portal-home"),
    path("portal/applications/", include("origination.urls.portal")),
    path("portal/loans/", include("servicing.urls.portal")),
    # A stored borrower document (the link its email gives); the borrower's own only (servicing.views.documents).
    path("portal/documents/<int:pk>/", PortalDocumentDownloadView.as_view(), name="portal-document"),
    path("accounts/", include("lending.core.auth_urls")),
    path("staff/crm/", include("crm.urls")),
    path("staff/origination/", include("origination.urls")),
    path("staff/servicing/", include("servicing.urls")),
    path("staff/jobs/", include("servicing.urls.jobs")),
    path("staff/collections/", include("servicing.urls.collections")),
    path("staff/reports/hmda/", include("origination.urls.hmda")),
    path("staff/reports/metro2/", include("servicing.urls.metro2")),
    # The reports index and every registered report (lending.core.reports.registry).
    path("staff/reports/", include("lending.core.reports.urls")),
    path("admin/", admin.site.urls),
]
# No MEDIA_URL route, not even with DEBUG on: stored documents are streamed only by permission-checked views.

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
