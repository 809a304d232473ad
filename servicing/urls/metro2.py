"""The Metro 2 files under /staff/reports/metro2/ (namespace "metro2"), managers and accounting."""

from django.urls import path

from servicing.views import metro2

app_name = "metro2"
urlpatterns = [
    path("", metro2.Metro2View.as_view(), name="file"),
    path("<int:pk>/download/", metro2.Metro2DownloadView.as_view(), name="download"),
]
