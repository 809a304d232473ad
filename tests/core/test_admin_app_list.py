"""The admin's app list (every admin page's sidebar) kept per set of permission answers (lending.core.admin_site):
the same list Django builds, for each user as their permissions stand at the request."""

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from lending.core import roles
from tests.core.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = type(user).objects.get(pk=user.pk)  # a fresh user: no permission cache from an earlier request
    return request


def _djangos(user, label=None):
    return AdminSite._build_app_dict(admin.site, _request(user), label)


@pytest.fixture
def users():
    return [
        user_with_role(roles.SERVICER, is_staff=True),
        user_with_role(roles.COLLECTOR, is_staff=True),
        user_with_role(roles.MANAGER, is_staff=True),
        UserFactory(is_staff=True, is_superuser=True),
        UserFactory(is_staff=True),
    ]


def test_each_users_app_list_is_djangos(users):
    for _ in range(2):  # built, then kept
        for user in users:
            assert admin.site.get_app_list(_request(user)) == AdminSite.get_app_list(admin.site, _request(user))
            assert admin.site._build_app_dict(_request(user), "servicing") == _djangos(user, "servicing")
    assert admin.site.get_app_list(_request(users[0]))  # a servicer sees the servicing screens
    assert admin.site.get_app_list(_request(users[0])) != admin.site.get_app_list(_request(users[3]))


def test_a_permission_granted_shows_at_the_next_request():
    user = UserFactory(is_staff=True)
    assert admin.site.get_app_list(_request(user)) == []
    user.user_permissions.add(Permission.objects.get(codename="view_group"))
    listed = admin.site.get_app_list(_request(user))
    assert [model["object_name"] for app in listed for model in app["models"]] == ["Group"]
    assert listed == AdminSite.get_app_list(admin.site, _request(user))


def test_a_caller_changing_its_list_changes_no_other_requests(users):
    first = admin.site._build_app_dict(_request(users[0]))
    for app in first.values():
        app["models"].clear()
        app["name"] = "changed"
    assert admin.site._build_app_dict(_request(users[0])) == _djangos(users[0])
