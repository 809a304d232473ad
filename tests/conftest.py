"""Suite-wide fixtures and the services report.

Tests marked `postgres` or `redis` need the real service; without it they are skipped and the
terminal summary counts them loudly. With LENDING_REQUIRE_SERVICES=1 a skip of that kind is an error.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from lending.celery import app as celery_app

REQUIRE_SERVICES = os.environ.get("LENDING_REQUIRE_SERVICES") == "1"
SERVICE_SKIPS: dict[str, int] = {"postgres": 0, "redis": 0}


def _service_available(name: str) -> bool:
    if name == "postgres":
        return settings.IS_POSTGRES
    return bool(settings.REDIS_URL)


def pytest_collection_modifyitems(config, items):
    for name, reason in (
        ("postgres", "PostgreSQL-only test skipped: DATABASE_URL is not PostgreSQL"),
        ("redis", "Redis-only test skipped: REDIS_URL is not set"),
    ):
        if _service_available(name):
            continue
        for item in items:
            if item.get_closest_marker(name):
                if REQUIRE_SERVICES:
                    raise pytest.UsageError(f"LENDING_REQUIRE_SERVICES=1 but {reason}")
                item.add_marker(pytest.mark.skip(reason=reason))
                SERVICE_SKIPS[name] += 1


def pytest_terminal_summary(terminalreporter):
    database = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    broker = f"Redis ({settings.REDIS_URL})" if settings.REDIS_URL else "none (Celery eager)"
    terminalreporter.section("Lending services")
    terminalreporter.write_line(f"database: {database}; broker: {broker}")
    for name, label in (("postgres", "PostgreSQL"), ("redis", "Redis")):
        count = SERVICE_SKIPS[name]
        if count:
            terminalreporter.write_line(f"SKIPPED {count} {label}-only tests: {label} was not available", red=True)
        else:
            terminalreporter.write_line(f"{label}-only tests: all ran")


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process in tests unless a test starts a real worker itself."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
