"""The user admin: only a superuser changes privileges or sets another user's password; both are audited."""

import pytest
from django.contrib.auth.models import Group

from lending.core import roles
from lending.core.models import AuditEvent, User
from tests.core.factories import PASSWORD, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def _change_form(user: User, **extra) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "_save": "Save",
    }
    data.update(extra)
    return data


def _password_form(password: str) -> dict:
    return {"password1": password, "password2": password, "usable_password": "true"}


def test_a_manager_cannot_make_anyone_a_superuser_or_grant_roles(client):
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    manager_group = Group.objects.get(name=roles.MANAGER)
    for target in (manager, UserFactory()):
        response = client.post(
            f"/admin/core/user/{target.pk}/change/",
            _change_form(target, first_name="Renamed", is_superuser="on", is_staff="on", groups=[manager_group.pk]),
        )
        assert response.status_code == 302
        target.refresh_from_db()
        assert target.first_name == "Renamed"
        assert (target.is_superuser, target.is_staff) == (False, target == manager)
        assert list(target.groups.values_list("name", flat=True)) == ([roles.MANAGER] if target == manager else [])
    assert not AuditEvent.objects.filter(verb="user.privileges_changed").exists()


def test_a_manager_sees_privileges_read_only(client):
    client.force_login(user_with_role(roles.MANAGER))
    body = client.get(f"/admin/core/user/{UserFactory().pk}/change/").content.decode()
    assert 'name="is_superuser"' not in body
    assert 'name="groups"' not in body
    assert 'name="first_name"' in body


def test_a_manager_cannot_set_another_users_password(client):
    client.force_login(user_with_role(roles.MANAGER))
    target = UserFactory()
    assert client.get(f"/admin/core/user/{target.pk}/password/").status_code == 403
    response = client.post(f"/admin/core/user/{target.pk}/password/", _password_form("taken-over-2026!"))
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(verb="user.password_set").exists()


def test_a_manager_cannot_edit_a_superusers_account(client):
    client.force_login(user_with_role(roles.MANAGER))
    boss = UserFactory(is_superuser=True, is_staff=True, email="boss@lending.test")
    response = client.post(f"/admin/core/user/{boss.pk}/change/", _change_form(boss, email="mine@evil.test"))
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.email == "boss@lending.test"


def test_a_superuser_changes_privileges_and_it_is_audited(client):
    admin = UserFactory(is_superuser=True, is_staff=True, email="root@lending.test")
    client.force_login(admin)
    target = UserFactory(email="pat@lending.test")
    servicer = Group.objects.get(name=roles.SERVICER)
    response = client.post(
        f"/admin/core/user/{target.pk}/change/", _change_form(target, is_staff="on", groups=[servicer.pk])
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="user.privileges_changed")
    assert event.actor == admin
    assert event.target_id == str(target.pk)
    assert event.before == {"groups": [], "is_staff": False}
    assert event.after == {"groups": ["servicer"], "is_staff": True}


def test_a_superuser_sets_a_password_and_it_is_audited(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    target = UserFactory()
    response = client.post(f"/admin/core/user/{target.pk}/password/", _password_form("a-new-pass-phrase-26"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("a-new-pass-phrase-26")
    event = AuditEvent.objects.get(verb="user.password_set")
    assert (event.actor, event.target_id, event.before, event.after) == (admin, str(target.pk), {}, {})


def test_no_one_deletes_a_user_in_the_admin_they_deactivate_it(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    target = UserFactory()
    client.force_login(superuser)
    assert client.get(f"/admin/core/user/{target.pk}/delete/").status_code == 403
    assert client.post(f"/admin/core/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=target.pk).exists()
    change = client.get(f"/admin/core/user/{target.pk}/change/")
    assert change.status_code == 200
    assert f"/admin/core/user/{target.pk}/delete/" not in change.content.decode()
