"""A loan's plans and promises in the portal (namespace "servicing_portal")."""

from django.urls import path

from servicing.views import plans

urlpatterns = [
    path("<int:pk>/plans/", plans.PortalPlansView.as_view(), name="loan-plans"),
]
