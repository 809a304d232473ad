from django.urls import path

from servicing.views import staff

app_name = "servicing"
urlpatterns = [
    path("", staff.HomeView.as_view(), name="home"),
]
