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
    " 'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_BACKEND, 'media': str(s.MEDIA_ROOT), 'auto': s.DEFAULT_AUTO_FIELD}))"
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
    "LENDING_DEMO",
)


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


@pytest.mark.slow_subprocess
def test_production_settings_pass_check_deploy():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0",
        SECRET_KEY="kq8#v2-production-like-secret-key-with-plenty-of-entropy-0x7f3a91",
        ALLOWED_HOSTS="lending.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


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
