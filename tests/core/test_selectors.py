"""Core reads: the members of a role."""

import pytest

from lending.core import roles
from lending.core.selectors import users_with_role, users_with_roles
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_users_with_role_lists_its_active_members_once():
    cora = user_with_role(roles.COLLECTOR, email="cora@lending.test")
    both = user_with_role(roles.COLLECTOR, email="both@lending.test")
    both.groups.add(*user_with_role(roles.MANAGER, email="m@lending.test").groups.all())
    gone = user_with_role(roles.COLLECTOR, email="gone@lending.test")
    gone.is_active = False
    gone.save()
    user_with_role(roles.SERVICER, email="sam@lending.test")
    assert sorted(u.email for u in users_with_role(roles.COLLECTOR)) == ["both@lending.test", "cora@lending.test"]
    assert cora in users_with_role(roles.COLLECTOR)


def test_a_role_nobody_was_given_yet_has_no_members():
    assert list(users_with_role("no such role")) == []


def test_users_with_roles_lists_each_active_member_of_any_of_them_once():
    user_with_role(roles.COLLECTOR, email="cora@lending.test")
    both = user_with_role(roles.PROCESSOR, email="both@lending.test")
    both.groups.add(*user_with_role(roles.UNDERWRITER, email="uma@lending.test").groups.all())
    gone = user_with_role(roles.PROCESSOR, email="gone@lending.test")
    gone.is_active = False
    gone.save()
    found = sorted(u.email for u in users_with_roles(roles.PROCESSOR, roles.UNDERWRITER))
    assert found == ["both@lending.test", "uma@lending.test"]
    assert list(users_with_roles("no such role")) == []
