"""lending/core/sessions.py: sessions read from the shared cache go on from the database while the cache is down,
and come from the cache when it is up."""

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from tests.core.factories import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

STORE = "lending.core.sessions"


class DownCache(BaseCache):
    """A cache whose server cannot be reached: every call raises, as Django's Redis backend does then."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = set = add = delete = has_key = touch = clear = _down


def _sign_in(client):
    user_with_role(roles.SERVICER, email="sam@lending.test")
    response = client.post(
        reverse("login"), {"username": "sam@lending.test", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).url == reverse("core:staff-home")


@pytest.fixture
def cache_down(settings):
    settings.SESSION_ENGINE = STORE
    settings.CACHES = {"default": {"BACKEND": "tests.core.test_sessions.DownCache"}}


def test_with_the_cache_down_staff_sign_in_and_their_pages_read_the_session_from_the_database(
    client, cache_down, caplog
):
    _sign_in(client)
    assert Session.objects.count() == 1
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:staff-home"))
    assert response.status_code == 200
    assert response.context["user"].email == "sam@lending.test"
    assert len([q for q in queries.captured_queries if "django_session" in q["sql"]]) == 1
    assert "Error reading a session from the cache" in caplog.text


def test_a_session_read_from_the_database_is_served_even_when_the_cache_will_not_take_it(
    client, settings, caplog, monkeypatch
):
    settings.SESSION_ENGINE = STORE
    _sign_in(client)  # the cache (each process's memory here) holds the session
    cache = caches["default"]
    cache.clear()  # as after a cache restart: the session is only in the database

    def refuse(*args, **kwargs):
        raise ConnectionError("the cache went away after the read")

    monkeypatch.setattr(cache, "set", refuse)
    response = client.get(reverse("core:staff-home"))
    assert response.status_code == 200
    assert response.context["user"].email == "sam@lending.test"
    assert "Error saving a session to the cache" in caplog.text


def test_with_the_cache_up_a_session_read_from_the_database_is_put_back_for_the_next_request(client, settings):
    settings.SESSION_ENGINE = STORE
    _sign_in(client)
    caches["default"].clear()
    client.get(reverse("core:staff-home"))  # read from the database, put in the cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("core:staff-home")).status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]] == []
