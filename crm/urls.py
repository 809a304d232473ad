from django.urls import include, path

from crm.views import leads, partners, staff

app_name = "crm"
urlpatterns = [
    path("", staff.HomeView.as_view(), name="home"),
    path("board/", leads.BoardView.as_view(), name="board"),
    path("leads/", leads.LeadListView.as_view(), name="leads"),
    path("leads/new/", leads.LeadCreateView.as_view(), name="lead-new"),
    path("leads/import/", leads.LeadImportView.as_view(), name="lead-import"),
    path("leads/<int:pk>/", leads.LeadDetailView.as_view(), name="lead"),
    path("leads/<int:pk>/move/", leads.LeadMoveView.as_view(), name="lead-move"),
    path("leads/<int:pk>/activity/", leads.LeadActivityView.as_view(), name="lead-activity"),
    path("leads/<int:pk>/tasks/", leads.LeadTaskCreateView.as_view(), name="lead-task"),
    path("leads/<int:pk>/convert/", leads.LeadConvertView.as_view(), name="lead-convert"),
    path("leads/<int:pk>/reassign/", leads.LeadReassignView.as_view(), name="lead-reassign"),
    path("leads/<int:pk>/referral/", leads.LeadReferralView.as_view(), name="lead-referral"),
    path("leads/<int:pk>/link-application/", leads.LeadLinkApplicationView.as_view(), name="lead-link"),
    path("tasks/", leads.TaskListView.as_view(), name="tasks"),
    path("tasks/<int:pk>/done/", leads.TaskCompleteView.as_view(), name="task-done"),
    path("partners/", partners.PartnerListView.as_view(), name="partners"),
    path("partners/new/", partners.PartnerCreateView.as_view(), name="partner-new"),
    path("partners/<int:pk>/", partners.PartnerDetailView.as_view(), name="partner"),
    path("", include("crm.urls_nurture")),  # campaigns, past clients, dashboard
]
