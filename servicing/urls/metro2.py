"""The Metro 2 file under /staff/reports/metro2/ (namespace "metro2"), managers only."""

from django.urls import path

from servicing.views import metro2

app_name = "metro2"
urlpatterns = [
    path("", metro2.Metro2View.as_view(), name="file"),
    path("download/", metro2.Metro2DownloadView.as_view(), name="download"),
]
