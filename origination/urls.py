from django.urls import path

from origination.views import staff

app_name = "origination"
urlpatterns = [
    path("", staff.HomeView.as_view(), name="home"),
]
