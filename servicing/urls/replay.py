from django.urls import path

from servicing.views import replay

urlpatterns = [
    path("replays/<int:pk>/", replay.ReplayDetailView.as_view(), name="replay-detail"),
]
