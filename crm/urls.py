from django.urls import path

from crm.views import staff

app_name = "crm"
urlpatterns = [
    path("", staff.HomeView.as_view(), name="home"),
]
