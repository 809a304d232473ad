"""Suite-wide fixtures and the services report.

Tests marked `postgres` or `redis` need the real service; without it they are skipped and the
terminal summary counts them loudly. With LENDING_REQUIRE_SERVICES=1 a skip of that kind is an error.

Under pytest-xdist (`make test` runs on every core) each worker collects the whole suite and renders its
share of the templates: workers send their skip counts and rendered templates to the controller
(`workeroutput`), which reports the counts and checks the templates over the union.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models.signals import post_migrate
from django.test.signals import template_rendered

from lending.celery import app as celery_app

REQUIRE_SERVICES = os.environ.get("LENDING_REQUIRE_SERVICES") == "1"
SERVICE_SKIPS: dict[str, int] = {"postgres": 0, "redis": 0}
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
RENDERED_TEMPLATES: set[str] = set()
# xdist replaces a worker that fails while reporting; its report is lost, so the run must say so and fail.
WORKER_ERRORS: list[str] = []


def _record_template(sender, template, context, **kwargs):
    if template.name:
        # A plain str: names can be SafeString, which xdist's channel to the controller cannot send.
        RENDERED_TEMPLATES.add(str.__str__(template.name))


template_rendered.connect(_record_template, dispatch_uid="lending.tests.template_coverage")


def pytest_configure(config):
    # Django's default PBKDF2 (1M iterations) costs ~0.3 s a user; tests need a hash, not its strength.
    from django.contrib.auth.hashers import get_hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    if MUTATION_KILLERS:
        from tests.mutation_order import KillerFirst

        config.pluginmanager.register(KillerFirst(Path(MUTATION_KILLERS)), "lending-killer-first")


def _service_available(name: str) -> bool:
    if name == "postgres":
        return settings.IS_POSTGRES
    return bool(settings.REDIS_URL)


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Tests sharing one outside resource run in one worker: the Redis broker's queue, one Chromium. First, before
    # xdist's own hook reads the groups (`--dist loadgroup`). Spread over workers, each worker's Celery worker took
    # the others' nightly chunks off the shared queue (tests/core/test_suite_checks.py guards the grouping).
    for item in items:
        for marker in ("redis", "e2e"):
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.xdist_group(marker))
    for name, reason in (
        ("postgres", "PostgreSQL-only test skipped: DATABASE_URL is not PostgreSQL"),
        ("redis", "Redis-only test skipped: REDIS_URL is not set"),
    ):
        if _service_available(name):
            continue
        for item in items:
            if item.get_closest_marker(name):
                if REQUIRE_SERVICES and not config.option.collectonly:  # collecting runs (so skips) nothing
                    raise pytest.UsageError(f"LENDING_REQUIRE_SERVICES=1 but {reason}")
                item.add_marker(pytest.mark.skip(reason=reason))
                SERVICE_SKIPS[name] += 1


def _is_whole_suite(config) -> bool:
    option = config.option
    narrowed = (
        option.keyword
        or option.markexpr
        or option.collectonly
        or getattr(option, "lf", False)
        or getattr(option, "deselect", None)
    )
    return not narrowed and [Path(a).resolve() for a in config.args] == [Path(config.rootpath, "tests").resolve()]


def unrendered_templates() -> list[str]:
    """Project templates no test rendered: for a server-rendered app, every page must be exercised (as Zulip does)."""
    names = {p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*") if p.suffix in {".html", ".txt"}}
    return sorted(names - RENDERED_TEMPLATES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: merge what a worker rendered and skipped (each worker collects the whole suite)."""
    if error:
        WORKER_ERRORS.append(str(error).strip().splitlines()[-1])
    output = getattr(node, "workeroutput", {})
    RENDERED_TEMPLATES.update(output.get("lending_rendered", ()))
    for name, count in output.get("lending_service_skips", {}).items():
        SERVICE_SKIPS[name] = max(SERVICE_SKIPS[name], count)


def pytest_sessionfinish(session, exitstatus):
    if _is_xdist_worker(session.config):
        session.config.workeroutput["lending_rendered"] = sorted(RENDERED_TEMPLATES)
        session.config.workeroutput["lending_service_skips"] = dict(SERVICE_SKIPS)
        return
    if WORKER_ERRORS:
        session.exitstatus = 1
    if exitstatus == 0 and session.testscollected and _is_whole_suite(session.config):
        missing = unrendered_templates()
        if missing:
            session.config.lending_unrendered = missing
            session.exitstatus = 1


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
    for error in WORKER_ERRORS:
        terminalreporter.write_line(f"FAILED: a test worker ended with an error: {error}", red=True)
    missing = getattr(terminalreporter.config, "lending_unrendered", None)
    if missing:
        terminalreporter.write_line(f"FAILED: templates no test renders: {', '.join(missing)}", red=True)


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process in tests unless a test starts a real worker itself."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached reads (the queue's product list) from one test's data must
    not answer another's."""
    from django.core.cache import cache

    cache.clear()


# Mutation runs (scripts/mutation.py) start one pytest session per mutant, and migrating a fresh SQLite test
# database costs about 16 s of each. They migrate one database first and name it here; each session then works on
# its own copy of it (forked workers run side by side), and the normal suite is unchanged.
MIGRATED_TEMPLATE = os.environ.get("LENDING_TEST_DB_TEMPLATE")
# A mutation run's shared file of the tests that killed mutants (tests/mutation_order.py).
MUTATION_KILLERS = os.environ.get("LENDING_MUTATION_KILLERS")
if MUTATION_KILLERS:
    import factory

    # factory_boy loads Faker's providers on the first factory call: 0.16 s of CPU in every mutant's session that
    # builds a loan. mutmut's fork server imports this conftest while it collects the tests, so loading them here
    # once gives every forked session a loaded Faker.
    factory.Faker._get_faker()
if MIGRATED_TEMPLATE:

    @pytest.fixture(scope="session")
    def django_db_setup(tmp_path_factory):
        import shutil

        from django.db import connections

        copy = tmp_path_factory.mktemp("db") / "test.sqlite3"
        shutil.copyfile(MIGRATED_TEMPLATE, copy)
        connection = connections["default"]
        connection.close()
        connection.settings_dict["NAME"] = str(copy)
        yield
        connection.close()


def _reseed_after_flush(sender, **kwargs):
    """A transactional test (``transaction=True``, the live server) ends with a flush, which empties every table,
    the data migrations' rows with them; Django then sends ``post_migrate``. Restore the standard document types
    (origination 0003), which the document tests read, so a test that runs after a flush on the same xdist worker
    finds what a migrated database has, and the roll-rate restatement row (servicing 0037), without which the
    collections dashboard keeps nothing. (The chart of accounts and the roles are seeded by their services.)"""
    from importlib import import_module

    from django.apps import apps

    if sender.label == "origination":
        import_module("origination.migrations.0003_standard_document_types").add_types(apps, None)
    if sender.label == "servicing":
        apps.get_model("servicing", "RollRateRestatement").objects.get_or_create(pk=1)


post_migrate.connect(_reseed_after_flush, dispatch_uid="lending.tests.reseed_after_flush")
