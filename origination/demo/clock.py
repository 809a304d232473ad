"""The simulated clock: run the services as if it were a past business day."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.apps import apps as django_apps
from django.utils import timezone

_REAL_NOW = timezone.now


@contextmanager
def _clock(moment: datetime | None) -> Iterator[None]:
    """Run the services as if it were ``moment`` (None: really now).

    The services read the time through ``django.utils.timezone.now`` (``localdate()`` calls it too), which is
    patched; model fields declared with ``default=timezone.now`` hold the original function, so their
    defaults are swapped for the duration as well (and Django's cached default getter is reset). Clocks nest
    (a test may run the whole seed on a chosen day): each restores what it replaced.
    """
    if moment is None:
        yield
        return
    started = _REAL_NOW()

    def fake_now() -> datetime:
        return moment + (_REAL_NOW() - started)

    fake_now.demo_clock = True  # type: ignore[attr-defined]  # a marker a nested clock looks for
    saved = {
        f: f.default
        for model in django_apps.get_models()
        for f in model._meta.concrete_fields
        if getattr(f, "default", None) is _REAL_NOW or getattr(f.default, "demo_clock", False)
    }
    try:
        for f in saved:
            f.default = fake_now
            f.__dict__.pop("_get_default", None)
        with mock.patch("django.utils.timezone.now", new=fake_now):
            yield
    finally:
        for f, default in saved.items():
            f.default = default
            f.__dict__.pop("_get_default", None)
