"""Borrower URLs under /portal/applications/ (namespace "origination_portal")."""

from django.urls import path

from origination.views import portal

app_name = "origination_portal"
urlpatterns = [
    path("<int:pk>/", portal.ApplicationStatusView.as_view(), name="application"),
]
