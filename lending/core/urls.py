from django.urls import path

from lending.core import views

app_name = "core"
urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("home/", views.after_login, name="after-login"),
    path("staff/", views.StaffHomeView.as_view(), name="staff-home"),
]
