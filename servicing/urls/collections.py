"""The collections workbench, under /staff/collections/ (namespace "collections")."""

from django.urls import path

from servicing.views import charge_off, collections, collections_dashboard

app_name = "collections"
urlpatterns = [
    path("", collections.QueueView.as_view(), name="queue"),
    path("assign/", collections.AssignView.as_view(), name="assign"),
    path("dashboard/", collections_dashboard.DashboardView.as_view(), name="dashboard"),
    path("queue.csv", collections_dashboard.QueueExportView.as_view(), name="queue-export"),
    path("loans/<int:pk>/", collections.LoanCollectionsView.as_view(), name="loan"),
    path("loans/<int:pk>/contacts/", collections.ContactLogView.as_view(), name="contact-log"),
    path("loans/<int:pk>/promises/", collections.PromiseMakeView.as_view(), name="promise-make"),
    path("loans/<int:pk>/cease-contact/", collections.CeaseContactView.as_view(), name="cease-contact"),
    path("loans/<int:pk>/reassign/", collections.ReassignView.as_view(), name="reassign"),
    path("loans/<int:pk>/charge-off/", charge_off.ChargeOffView.as_view(), name="charge-off"),
    path("loans/<int:pk>/recoveries/", charge_off.RecoveryView.as_view(), name="recovery"),
]
