"""Who may open which page: each role's navigation, 403 for the wrong role, login for anonymous users."""

import pytest
from django.urls import reverse

from lending.core import roles
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db

EXPECTED_NAV = {
    roles.LOAN_OFFICER: ["Workspace", "CRM", "Origination", "My tasks"],
    roles.PROCESSOR: ["Workspace", "Origination", "My tasks"],
    roles.UNDERWRITER: ["Workspace", "Origination", "My tasks"],
    roles.CLOSER: ["Workspace", "Origination", "My tasks"],
    roles.SERVICER: ["Workspace", "Servicing", "Jobs", "Servicer admin"],
    roles.COLLECTOR: ["Workspace", "Servicing", "Collections", "Reports"],
    roles.MANAGER: [
        "Workspace",
        "CRM",
        "Origination",
        "My tasks",
        "Servicing",
        "Collections",
        "Jobs",
        "HMDA",
        "Reports",
        "Servicer admin",
    ],
    roles.ACCOUNTING: ["Workspace", "Reports"],
}
APP_HOMES = {
    "crm:home": {roles.LOAN_OFFICER, roles.MANAGER},
    "origination:home": {roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER},
    "servicing:home": {roles.SERVICER, roles.COLLECTOR, roles.MANAGER},
    "jobs:list": {roles.SERVICER, roles.MANAGER},
    "collections:queue": {roles.COLLECTOR, roles.MANAGER},
    "hmda:lar": {roles.MANAGER},
    "metro2:file": {roles.MANAGER, roles.ACCOUNTING},
}


@pytest.mark.parametrize(("role", "labels"), EXPECTED_NAV.items())
def test_each_role_sees_its_own_navigation(client, role, labels):
    client.force_login(user_with_role(role))
    response = client.get(reverse("core:staff-home"))
    assert response.status_code == 200
    assert [item.label for item in response.context["staff_nav"]] == labels
    for label in labels:
        assert label in response.content.decode()


@pytest.mark.parametrize("url_name", APP_HOMES)
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_app_landing_pages_are_open_to_their_roles_only(client, url_name, role):
    client.force_login(user_with_role(role))
    response = client.get(reverse(url_name))
    assert response.status_code == (200 if role in APP_HOMES[url_name] else 403)


@pytest.mark.parametrize("url_name", ["core:staff-home", "portal-home", *APP_HOMES])
def test_anonymous_users_are_sent_to_login(client, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_borrower_gets_403_on_staff_workspace_not_a_stack_trace(client):
    client.force_login(user_with_role(roles.BORROWER))
    response = client.get(reverse("core:staff-home"))
    assert response.status_code == 403
    assert "You do not have access to this page." in response.content.decode()


@pytest.mark.parametrize("path", ["/admin/", "/admin/core/user/"])
def test_borrower_is_refused_from_the_admin(client, path):
    client.force_login(user_with_role(roles.BORROWER))
    response = client.get(path, follow=True)
    assert response.status_code == 403


@pytest.mark.parametrize(("role", "status"), [(roles.SERVICER, 200), (roles.MANAGER, 200), (roles.LOAN_OFFICER, 403)])
def test_admin_is_for_servicers_and_managers(client, role, status):
    client.force_login(user_with_role(role))
    assert client.get("/admin/", follow=True).status_code == status


def test_admin_is_branded_for_servicers(client):
    client.force_login(user_with_role(roles.SERVICER))
    body = client.get("/admin/").content.decode()
    assert "Lending · servicing admin" in body


def test_portal_is_for_borrowers(client):
    client.force_login(user_with_role(roles.BORROWER, first_name="Alice"))
    response = client.get(reverse("portal-home"))
    assert response.status_code == 200
    assert "Welcome, Alice" in response.content.decode()


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_staff_do_not_get_the_borrower_portal(client, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("portal-home")).status_code == 403


@pytest.mark.parametrize(
    ("role", "destination"), [(roles.BORROWER, "portal-home"), (roles.UNDERWRITER, "core:staff-home")]
)
def test_after_login_sends_people_home(client, role, destination):
    client.force_login(user_with_role(role))
    response = client.get(reverse("core:after-login"))
    assert response["Location"] == reverse(destination)


def test_landing_page_offers_apply_contact_and_sign_in(client):
    body = client.get("/").content.decode()
    for href in ("/apply/", "/contact/", "/accounts/login/"):
        assert f'href="{href}"' in body


def test_manager_can_review_users_and_the_audit_trail_in_the_admin(client):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get("/admin/core/user/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200


def test_servicer_sees_the_audit_trail_but_not_users(client):
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/core/user/").status_code == 403


def test_nobody_can_add_or_edit_audit_events(client):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get("/admin/core/auditevent/add/").status_code == 403
