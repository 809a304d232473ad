import logging

import pytest

from lending.core import roles
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_unknown_url_gets_the_styled_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find that page." in body
    assert "vendor/bootstrap/bootstrap.min.css" in body


def test_server_error_gets_the_styled_500_with_the_request_id(client, settings):
    settings.ROOT_URLCONF = "tests.core.urls_with_error"
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_X_REQUEST_ID="trace-abcdef12")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "trace-abcdef12" in body
    assert response["X-Request-ID"] == "trace-abcdef12"


def test_every_response_carries_a_fresh_request_id(client):
    first, second = client.get("/"), client.get("/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_malformed_incoming_request_id_is_replaced(client):
    response = client.get("/", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"


def test_a_403_logs_one_line_without_a_traceback(client, caplog):
    client.force_login(user_with_role(roles.BORROWER))
    with caplog.at_level(logging.INFO):
        assert client.get("/staff/").status_code == 403
    logged = [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert logged == [("django.request", "WARNING", "Forbidden (Permission denied): /staff/", None)]


def test_a_500_keeps_its_traceback(client, settings, caplog):
    settings.ROOT_URLCONF = "tests.core.urls_with_error"
    client.raise_request_exception = False
    client.get("/boom/")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None
