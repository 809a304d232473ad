"""Settings load from the environment; the production path passes `check --deploy`."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'atomic': s.DATABASES['default']['ATOMIC_REQUESTS'],"
    " 'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'tz': s.USE_TZ,"
    " 'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_BACKEND, 'media': str(s.MEDIA_ROOT), 'auto': s.DEFAULT_AUTO_FIELD,"
    " 'max_age': s.DATABASES['default']['CONN_MAX_AGE'], 'health': s.DATABASES['default']['CONN_HEALTH_CHECKS'],"
    " 'options': s.DATABASES['default'].get('OPTIONS', {}).get('options'),"
    " 'binding': s.DATABASES['default'].get('OPTIONS', {}).get('server_side_binding'),"
    " 'prepare': s.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold')}))"
)
SERVICE_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "MEDIA_ROOT",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "FIELD_ENCRYPTION_KEYS",
    "LENDING_DEMO",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "DB_SERVER_SIDE_BINDING",
    "DB_PREPARE_THRESHOLD",
)
PRODUCTION_FIELD_KEY = "fSg6uvV4jXnNcTBTVbYtC0P9fWbXwUhCb0JzQhXk2cQ="


def _run(args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(DJANGO_SETTINGS_MODULE="lending.settings", **env_overrides)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def _probe(**env):
    result = _run(["-c", PROBE], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_nothing_set_the_app_runs_on_sqlite_with_eager_celery():
    loaded = _probe()
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["eager"] is True
    assert loaded["broker"] == "memory://localhost/"
    assert loaded["debug"] is True
    assert loaded["atomic"] is True
    assert loaded["tz"] is True
    assert loaded["auto"] == "django.db.models.BigAutoField"
    assert loaded["email"] == "django.core.mail.backends.console.EmailBackend"


def test_environment_variables_configure_services():
    loaded = _probe(
        DATABASE_URL="postgres://u:p@db.example:5432/lending",
        REDIS_URL="redis://cache.example:6379/0",
        SECRET_KEY="s" * 60,
        DEBUG="0",
        FIELD_ENCRYPTION_KEYS=PRODUCTION_FIELD_KEY,
        ALLOWED_HOSTS="lending.example,www.lending.example",
        EMAIL_URL="smtp://mailer.example:25",
        MEDIA_ROOT="/srv/media",
    )
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["eager"] is False
    assert loaded["broker"] == "redis://cache.example:6379/0"
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["lending.example", "www.lending.example"]
    assert loaded["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["media"] == "/srv/media"


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = _run(["-c", PROBE], DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_without_field_encryption_keys_refuses_to_start():
    # A key derived from SECRET_KEY would lose every SSN the day SECRET_KEY is rotated.
    result = _run(["-c", PROBE], DEBUG="0", SECRET_KEY="s" * 60)
    assert result.returncode != 0
    assert "ImproperlyConfigured: FIELD_ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr


def test_field_encryption_does_not_depend_on_secret_key(settings):
    from lending.core.fields import decrypt_text, encrypt_text

    token = encrypt_text("123-45-6789")
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    assert decrypt_text(token) == "123-45-6789"


def test_development_uses_the_labelled_development_field_key():
    result = _run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.FIELD_ENCRYPTION_KEYS == [s._DEV_FIELD_ENCRYPTION_KEY])",
        ]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


# Two threads each read then write in one transaction, as two identical submits do. With SQLite's default
# DEFERRED transactions the second writer cannot upgrade its read lock and fails at once with "database is
# locked", whatever the busy timeout; IMMEDIATE makes it wait for the first to commit.
DOUBLE_SUBMIT = """
import django, json, threading, time
django.setup()
from django.conf import settings
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
connection.close()
errors = []
def submit():
    try:
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("SELECT COUNT(*) FROM t")
                time.sleep(0.3)
                c.execute("INSERT INTO t VALUES (1)")
    except Exception as exc:
        errors.append(str(exc))
    finally:
        connection.close()
threads = [threading.Thread(target=submit) for _ in range(2)]
for t in threads:
    t.start()
    time.sleep(0.05)
for t in threads:
    t.join()
with connection.cursor() as c:
    c.execute("SELECT COUNT(*) FROM t")
    rows = c.fetchone()[0]
print(json.dumps({"options": settings.DATABASES["default"]["OPTIONS"], "errors": errors, "rows": rows}))
"""


@pytest.mark.slow_subprocess
def test_two_concurrent_submits_on_a_file_sqlite_both_commit(tmp_path):
    result = _run(["-c", DOUBLE_SUBMIT], DATABASE_URL=f"sqlite:///{tmp_path / 'race.sqlite3'}")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["rows"] == 2
    assert outcome["options"] == {"transaction_mode": "IMMEDIATE", "timeout": 20}


@pytest.mark.slow_subprocess
def test_production_settings_pass_check_deploy():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0",
        SECRET_KEY="kq8#v2-production-like-secret-key-with-plenty-of-entropy-0x7f3a91",
        ALLOWED_HOSTS="lending.example",
        FIELD_ENCRYPTION_KEYS=PRODUCTION_FIELD_KEY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_media_is_never_served_by_url_even_with_debug_on():
    # Documents are streamed only by permission-checked views; MEDIA_URL routed them to anyone in DEBUG.
    probe = (
        "import django; django.setup(); from django.conf import settings\n"
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/media/disclosures/2026/12/A-2026-000002-closing-disclosure.pdf'); print('served')\n"
        "except Resolver404:\n    print(settings.DEBUG, 'not served')"
    )
    result = _run(["-c", probe], DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True not served"


@pytest.mark.slow_subprocess
def test_a_fresh_clone_checks_migrations_without_a_warning(tmp_path):
    """`make lint` in a fresh clone (no var/ yet) runs makemigrations --check without "unable to open database"."""
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns(".git", ".venv", "var", "staticfiles", "tests", "bench", "__pycache__", "*.sqlite3")
    shutil.copytree(ROOT, clone, ignore=ignore)
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(DJANGO_SETTINGS_MODULE="lending.settings", PYTHONWARNINGS="default")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=clone,
        check=False,
    )
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "No changes detected", "")
    assert (clone / "var").is_dir()


def test_without_a_secret_key_production_settings_refuse_and_say_how_to_fix_it():
    result = _run(["-c", PROBE], DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert (
        "SECRET_KEY must be set when DEBUG is off (in .env for docker compose; LENDING_DEMO=1 for a throw-away demo)"
        in result.stderr
    )


def test_a_throw_away_demo_may_run_without_a_secret_key():
    assert _probe(DEBUG="0", SECRET_KEY="", LENDING_DEMO="1")["debug"] is False


CACHE_PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.CACHES['default']))"
)


def test_the_cache_is_per_process_unless_cache_url_names_a_shared_one():
    env = {k: v for k, v in os.environ.items() if k not in (*SERVICE_VARS, "CACHE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "lending.settings"
    local = subprocess.run(
        [sys.executable, "-c", CACHE_PROBE], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert json.loads(local.stdout.strip().splitlines()[-1]) == {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
    }
    shared = subprocess.run(
        [sys.executable, "-c", CACHE_PROBE],
        capture_output=True,
        text=True,
        env={**env, "CACHE_URL": "redis://cache.example:6379/1"},
        cwd=ROOT,
        check=True,
    )
    assert json.loads(shared.stdout.strip().splitlines()[-1]) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.example:6379/1",
    }


def test_postgres_connections_persist_with_health_checks_and_sqlite_ones_do_not():
    # A new PostgreSQL connection costs 5-15 ms per request (issue 15): reused for 60 s, tested before reuse.
    postgres = _probe(DATABASE_URL="postgres://u@127.0.0.1:5432/db")
    assert (postgres["max_age"], postgres["health"]) == (60, True)
    sqlite = _probe()
    assert (sqlite["max_age"], sqlite["health"]) == (0, True)
    tuned = _probe(DATABASE_URL="postgres://u@127.0.0.1:5432/db", CONN_MAX_AGE="300", CONN_HEALTH_CHECKS="0")
    assert (tuned["max_age"], tuned["health"]) == (300, False)


def test_postgresql_connections_turn_jit_off():
    # The planner's estimates for a page's correlated subqueries cross jit_above_cost; compiling costs 10-140 ms
    # for queries that run in a few (issue 15): every PostgreSQL connection starts with jit off.
    assert _probe(DATABASE_URL="postgres://u@127.0.0.1:5432/db")["options"] == "-c jit=off"
    assert _probe()["options"] is None  # SQLite has no JIT


def test_postgresql_statements_are_bound_by_the_server_and_prepared_after_five_runs():
    # Parsing and planning each statement again cost about a third of a payment's database CPU (issue 15); a
    # transaction pooler (PgBouncer) cannot keep a connection's prepared statements, so it can be turned off.
    postgres = _probe(DATABASE_URL="postgres://u@127.0.0.1:5432/db")
    assert (postgres["binding"], postgres["prepare"]) == (True, 5)
    tuned = _probe(DATABASE_URL="postgres://u@127.0.0.1:5432/db", DB_PREPARE_THRESHOLD="2")
    assert (tuned["binding"], tuned["prepare"]) == (True, 2)
    pooled = _probe(DATABASE_URL="postgres://u@127.0.0.1:5432/db", DB_SERVER_SIDE_BINDING="0")
    assert (pooled["binding"], pooled["prepare"]) == (None, None)
    sqlite = _probe()
    assert (sqlite["binding"], sqlite["prepare"]) == (None, None)


@pytest.mark.postgres
def test_a_statement_is_prepared_once_a_connection_has_run_it_five_times(db):
    from django.db import connection

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%::int + 1"])
            return cursor.fetchone()[0]

    def run():
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone()[0] == 42

    for _ in range(5):
        run()
    assert prepared() == 0  # parsed and planned five times
    run()
    assert prepared() == 1  # the sixth run prepares it: later runs skip parsing and planning


@pytest.mark.postgres
def test_the_test_database_runs_without_jit(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_the_project_loads_on_an_empty_database(tmp_path):
    # `make run` on a fresh machine runs `migrate` first, whose checks import every URLconf, view and form: nothing
    # may read the database at import (a form's choices read then would fail here, and be frozen in a live app).
    result = _run(["manage.py", "check"], DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


SESSION_PROBE = "import django; django.setup(); from django.conf import settings as s; print(s.SESSION_ENGINE)"


def test_sessions_are_read_from_a_shared_cache_and_only_from_the_database_without_one():
    env = {k: v for k, v in os.environ.items() if k not in (*SERVICE_VARS, "CACHE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "lending.settings"

    def engine(**extra: str) -> str:
        probe = [sys.executable, "-c", SESSION_PROBE]
        result = subprocess.run(probe, capture_output=True, text=True, env={**env, **extra}, cwd=ROOT, check=True)
        return result.stdout.strip().splitlines()[-1]

    assert engine() == "django.contrib.sessions.backends.db"
    assert engine(CACHE_URL="redis://cache.example:6379/1") == "lending.core.sessions"
