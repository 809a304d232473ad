"""One application's HMDA data (namespace "origination"): census tract and collection by visual observation."""

from django.urls import path

from origination.views import hmda

urlpatterns = [
    path("applications/<int:pk>/hmda/", hmda.ApplicationHmdaView.as_view(), name="application-hmda"),
]
