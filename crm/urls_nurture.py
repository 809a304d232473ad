"""Campaigns, past-client follow-ups and the dashboard, under /staff/crm/ in the "crm" namespace."""

from django.urls import path

from crm.views import campaigns, dashboard, past_clients

urlpatterns = [
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("campaigns/", campaigns.CampaignListView.as_view(), name="campaigns"),
    path("campaigns/new/", campaigns.CampaignFormView.as_view(), name="campaign-new"),
    path("campaigns/<int:pk>/", campaigns.CampaignDetailView.as_view(), name="campaign"),
    path("campaigns/<int:pk>/edit/", campaigns.CampaignFormView.as_view(), name="campaign-edit"),
    path("campaigns/<int:pk>/enroll/", campaigns.CampaignEnrollView.as_view(), name="campaign-enroll"),
    path("campaigns/<int:pk>/steps/new/", campaigns.StepFormView.as_view(), name="campaign-step-new"),
    path("campaigns/<int:pk>/steps/<int:step_pk>/", campaigns.StepFormView.as_view(), name="campaign-step"),
    path("past-clients/", past_clients.FollowUpListView.as_view(), name="follow-ups"),
    path("past-clients/follow-ups/<int:pk>/done/", past_clients.FollowUpDoneView.as_view(), name="follow-up-done"),
]
