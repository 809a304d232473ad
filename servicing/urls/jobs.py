"""The jobs page, under /staff/jobs/ (namespace "jobs")."""

from django.urls import path

from servicing.views import jobs

app_name = "jobs"
urlpatterns = [
    path("", jobs.JobsView.as_view(), name="list"),
    path("runs/", jobs.RunStartView.as_view(), name="run-start"),
    path("runs/<int:pk>/", jobs.RunPartialView.as_view(), name="run"),
    path("steps/<int:pk>/errors/", jobs.StepErrorsView.as_view(), name="step-errors"),
    path("steps/<int:pk>/rerun/", jobs.StepRerunView.as_view(), name="step-rerun"),
]
