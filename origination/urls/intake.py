"""Intake in the staff workspace (namespace "origination"): start, enter or correct, and the summary panel."""

from django.urls import path

from origination.views import intake

urlpatterns = [
    path("applications/new/", intake.IntakeNewView.as_view(), name="intake-new"),
    path("applications/<int:pk>/intake/panel/", intake.IntakePanelView.as_view(), name="intake-panel"),
    path("applications/<int:pk>/intake/<slug:section>/", intake.IntakeEditView.as_view(), name="intake-edit"),
]
