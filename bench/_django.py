"""Shared set-up for benchmarks that need Django: settings from the environment, a migrated database."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lending.settings")


def setup() -> None:
    """Migrate in a process of its own, then set Django up in this one: a worker (gunicorn, Celery) never runs the
    migrations, whose objects left in this process's heap made each of the garbage collector's full passes longer
    (about 18 ms a rendered schedule PDF)."""
    import subprocess

    import django

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity=0", "--no-input", "--skip-checks"], cwd=ROOT, check=True
    )
    django.setup()


def is_postgres() -> bool:
    from django.conf import settings

    return settings.IS_POSTGRES


def median_ms(fn, *, repeat: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
