"""The HMDA Loan/Application Register under /staff/reports/hmda/ (namespace "hmda"), managers only."""

from django.urls import path

from origination.views import hmda

app_name = "hmda"
urlpatterns = [
    path("", hmda.HmdaLarView.as_view(), name="lar"),
    path("download/", hmda.HmdaLarDownloadView.as_view(), name="download"),
]
