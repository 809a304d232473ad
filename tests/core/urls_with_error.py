"""The project's URLs plus one view that fails, to test the 500 page."""

from django.urls import path

from lending.urls import handler403, handler404, handler500  # noqa: F401
from lending.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("simulated failure")


urlpatterns = [*project_urlpatterns, path("boom/", boom)]
