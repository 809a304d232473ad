import pytest

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
