"""The deployment shape: the /healthz check, docker compose (read as YAML: no Docker engine in CI) and .dockerignore."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.django_db
def test_healthz_answers_ok_whatever_the_host_and_without_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert (response.status_code, response.content, response["Content-Type"]) == (200, b"ok\n", "text/plain")


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from lending.core import middleware

    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(middleware, "connection", BrokenConnection())
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (503, b"database unavailable\n")


def test_migrations_run_once_in_a_service_the_others_wait_for(compose):
    services = compose["services"]
    assert services["migrate"]["command"].startswith("sh -c 'python manage.py migrate --noinput")
    assert services["migrate"]["restart"] == "no"
    assert "migrate" not in services["migrate"]["depends_on"]
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "migrate" not in services[name]["command"]


def test_web_has_a_healthcheck_and_every_long_running_service_restarts(compose):
    services = compose["services"]
    assert "http://127.0.0.1:8000/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in (*APP_SERVICES, "db", "redis"):
        assert services[name]["restart"] == "unless-stopped"


def test_no_demo_seed_and_no_public_secret_unless_lending_demo(compose):
    services = compose["services"]
    for name, service in services.items():
        if name in ("db", "redis"):
            continue
        environment = service["environment"]
        assert environment["SECRET_KEY"] == "${SECRET_KEY:-}"
        assert environment["LENDING_DEMO"] == "${LENDING_DEMO:-0}"
    seeding = [name for name, service in services.items() if "seed_demo" in str(service.get("command", ""))]
    assert seeding == ["migrate"]
    assert 'if [ "$$LENDING_DEMO" = "1" ]; then python manage.py seed_demo; fi' in services["migrate"]["command"]


def test_dockerignore_keeps_the_local_environment_and_data_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "var", ".git", "media", "staticfiles", ".env", ".pytest_cache", "**/__pycache__"} <= ignored


def test_the_compose_worker_and_make_worker_consume_the_documents_queue_the_notices_are_routed_to(compose, settings):
    routed = {name: route["queue"] for name, route in settings.CELERY_TASK_ROUTES.items()}
    assert routed == {
        "servicing.notice_make": "documents",
        "servicing.notices_make": "documents",
        "servicing.document_deliver": "documents",
        "servicing.print_batch": "documents",
        "servicing.escrow_initial_statement": "documents",
        "servicing.escrow_annual_statements": "documents",
        "servicing.early_intervention_letters_make": "documents",
    }
    assert compose["services"]["worker"]["command"].endswith(" -Q celery,documents")
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "\t$(BIN)/celery -A lending worker --loglevel=info -Q celery,documents\n" in makefile


def test_the_app_services_keep_database_connections_open(compose):
    # 0 would open a PostgreSQL connection per request (5-15 ms each, issue 15); settings add the health checks.
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["environment"]["CONN_MAX_AGE"] == "${CONN_MAX_AGE:-60}"
