"""lending/core/context_processors.navigation: the menu and role labels, kept per set of roles, are what the role
checks give on the request's own user."""

import itertools

import pytest
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from lending.core import roles
from lending.core.context_processors import navigation
from lending.core.navigation import staff_nav_for
from lending.core.reports import registry
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def _direct(user):
    """The context as it was worked out on every request, on the user itself."""
    return {
        "is_staff_member": roles.is_staff_member(user),
        "is_borrower": roles.is_borrower(user),
        "staff_nav": staff_nav_for(user),
        "user_role_labels": [roles.ROLE_LABELS[r] for r in roles.ALL_ROLES if r in roles.user_roles(user)],
    }


def _context(user):
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: user)  # as AuthenticationMiddleware sets it
    return navigation(request)


SETS = [(), *((role,) for role in roles.ALL_ROLES), *itertools.combinations(roles.ALL_ROLES, 2), roles.ALL_ROLES]


@pytest.mark.parametrize("superuser", [False, True])
def test_each_set_of_roles_gets_what_the_role_checks_give(superuser):
    for held in SETS:
        user = UserFactory.create(roles=list(held), is_superuser=superuser)
        for _ in range(2):  # the second from what was kept
            assert _context(user) == _direct(user), held


def test_an_inactive_superuser_is_shown_its_roles_only():
    user = UserFactory.create(roles=[roles.SERVICER], is_superuser=True, is_active=False)
    assert _context(user) == _direct(user)
    assert [item.label for item in _context(user)["staff_nav"]] == ["Workspace", "Servicing", "Jobs", "Servicer admin"]


def test_a_caller_changing_its_lists_changes_no_other_request():
    user = UserFactory.create(roles=[roles.MANAGER])
    first = _context(user)
    first["staff_nav"].clear()
    first["user_role_labels"].append("x")
    assert _context(user) == _direct(user)


def test_the_reports_item_follows_the_registered_reports(monkeypatch):
    user = UserFactory.create(roles=[roles.SERVICER])
    assert "Reports" not in [item.label for item in _context(user)["staff_nav"]]
    monkeypatch.setattr(registry, "report_roles", lambda: frozenset({roles.SERVICER}))
    monkeypatch.setattr("lending.core.context_processors.report_roles", registry.report_roles)
    monkeypatch.setattr("lending.core.navigation.report_roles", registry.report_roles)
    assert "Reports" in [item.label for item in _context(user)["staff_nav"]]


def test_anonymous_users_get_no_menu():
    from django.contrib.auth.models import AnonymousUser

    assert _context(AnonymousUser()) == {"is_staff_member": False, "is_borrower": False, "staff_nav": []}
