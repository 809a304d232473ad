"""The collections workbench, under /staff/collections/ (namespace "collections")."""

from django.urls import path

from servicing.views import charge_off, collections, collections_dashboard, loss_mitigation, plans

app_name = "collections"
LM = "loans/<int:pk>/loss-mitigation/"
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
    path(f"{LM}", loss_mitigation.ReceiveView.as_view(), name="lm-receive"),
    path(f"{LM}<int:app>/documents/", loss_mitigation.DocumentAddView.as_view(), name="lm-document-add"),
    path(f"{LM}<int:app>/acknowledge/", loss_mitigation.AcknowledgeView.as_view(), name="lm-acknowledge"),
    path(f"{LM}<int:app>/complete/", loss_mitigation.CompleteView.as_view(), name="lm-complete"),
    path(f"{LM}<int:app>/decide/", loss_mitigation.DecideView.as_view(), name="lm-decide"),
    path(f"{LM}documents/<int:doc>/", loss_mitigation.DocumentDownloadView.as_view(), name="lm-document"),
    path("loans/<int:pk>/foreclosure-referral/", loss_mitigation.ReferralView.as_view(), name="foreclosure-refer"),
    *plans.urlpatterns,
    path("loans/<int:pk>/charge-off/", charge_off.ChargeOffView.as_view(), name="charge-off"),
    path("loans/<int:pk>/recoveries/", charge_off.RecoveryView.as_view(), name="recovery"),
]
