"""Sign in by email, lockout after repeated failures, sign out, password change and reset."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from lending.core.auth import RoleLoadingModelBackend
from lending.core.models import AuditEvent
from tests.core.factories import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db


def _login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_login_with_email_sends_staff_to_workspace_and_audits(client):
    user = user_with_role(roles.PROCESSOR, email="pat@lending.test")
    response = _login(client, "Pat@Lending.test", PASSWORD)
    assert response.status_code == 302
    assert client.get(response["Location"]).url == reverse("core:staff-home")
    assert AuditEvent.objects.filter(actor=user, verb="user.logged_in").count() == 1


def test_wrong_password_shows_an_error_and_stays_signed_out(client):
    user_with_role(roles.PROCESSOR, email="pat@lending.test")
    response = _login(client, "pat@lending.test", "nope")
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_after_repeated_failures_even_with_the_right_password(client, settings):
    user_with_role(roles.LOAN_OFFICER, email="lo@lending.test")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "lo@lending.test", "wrong").status_code == 200
    locked = _login(client, "lo@lending.test", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert _login(client, "lo@lending.test", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_counts_every_spelling_of_one_account(client, settings):
    user_with_role(roles.LOAN_OFFICER, email="probe@example.com")
    spellings = ["probe@example.com", "PROBE@EXAMPLE.COM", "Probe@Example.com", " probe@example.COM"]
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, spellings[attempt % len(spellings)], "wrong").status_code == 200
    assert _login(client, "PROBE@EXAMPLE.COM", "wrong").status_code == 429
    # A right password under another case neither signs in nor clears the lock.
    assert _login(client, "PROBE@EXAMPLE.COM", PASSWORD).status_code == 429
    assert _login(client, "probe@example.com", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_locked_account_stays_locked_from_another_address(client, settings):
    user_with_role(roles.LOAN_OFFICER, email="probe@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "probe@example.com", "wrong")
    elsewhere = client.post(
        reverse("login"), {"username": "Probe@Example.com", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert elsewhere.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(verb="user.logged_in").exists()


def test_logout_is_a_post_and_audited(client):
    user = user_with_role(roles.SERVICER)
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(actor=user, verb="user.logged_out").exists()
    assert client.get(reverse("core:staff-home")).status_code == 302


def test_password_change(client):
    user = user_with_role(roles.CLOSER)
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-secret-42",
            "new_password2": "a-new-long-secret-42",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("a-new-long-secret-42")


def test_password_reset_by_email_end_to_end(client):
    user = user_with_role(roles.BORROWER, email="alice@example.com")
    assert client.get(reverse("password_reset")).status_code == 200
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert client.get(reverse("password_reset_done")).status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your Lending password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session-held one
    assert client.get(form_url).context["validlink"] is True
    response = client.post(form_url, {"new_password1": "brand-new-secret-99", "new_password2": "brand-new-secret-99"})
    assert response["Location"] == reverse("password_reset_complete")
    assert client.get(reverse("password_reset_complete")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-99")


def test_password_reset_with_a_bad_link_says_so(client):
    response = client.get("/accounts/password/reset/MQ/bad-token/")
    assert response.status_code == 200
    assert "invalid or has already been used" in response.content.decode()


def test_unknown_email_gets_no_mail_and_no_hint(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_signed_in_request_reads_the_user_with_their_roles_in_one_query(django_assert_num_queries):
    user = user_with_role(roles.SERVICER, email="sam@lending.test")
    user.groups.add(Group.objects.get(name=roles.COLLECTOR))
    with django_assert_num_queries(1):
        loaded = RoleLoadingModelBackend().get_user(user.pk)
        assert roles.user_roles(loaded) == frozenset({"servicer", "collector"})
        assert roles.has_role(loaded, roles.COLLECTOR)
        assert not roles.has_role(loaded, roles.MANAGER)
    assert loaded.email == "sam@lending.test"


def test_a_user_without_roles_has_none_and_an_inactive_one_is_not_signed_in(django_assert_num_queries):
    bare = user_with_role(roles.BORROWER, email="bo@lending.test")
    bare.groups.clear()
    with django_assert_num_queries(1):
        assert roles.user_roles(RoleLoadingModelBackend().get_user(bare.pk)) == frozenset()
    bare.is_active = False
    bare.save(update_fields=["is_active"])
    assert RoleLoadingModelBackend().get_user(bare.pk) is None
    assert RoleLoadingModelBackend().get_user(10**9) is None


CACHED_DB = "lending.core.sessions"  # Django's cached_db, going on from the database while the cache is down


def test_with_a_shared_cache_a_signed_in_page_reads_its_session_without_a_query(client, settings):
    settings.SESSION_ENGINE = CACHED_DB
    user_with_role(roles.SERVICER, email="sam@lending.test")
    assert _login(client, "sam@lending.test", PASSWORD).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:staff-home"))
    assert response.status_code == 200
    assert response.context["user"].email == "sam@lending.test"
    assert [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]] == []


def test_with_a_shared_cache_signing_out_ends_the_session_for_every_copy_of_its_cookie(client, settings):
    settings.SESSION_ENGINE = CACHED_DB
    user = user_with_role(roles.SERVICER, email="sam@lending.test")
    assert _login(client, "sam@lending.test", PASSWORD).status_code == 302
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert copy.get(reverse("core:staff-home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert AuditEvent.objects.filter(actor=user, verb="user.logged_out").count() == 1
    response = copy.get(reverse("core:staff-home"))
    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('login')}?next={reverse('core:staff-home')}",
    )
