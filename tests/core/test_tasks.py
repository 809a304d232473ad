import pytest
from celery.contrib.testing.worker import start_worker

from lending.celery import app as celery_app
from lending.core.tasks import ping


def test_ping_runs_eagerly_without_a_broker():
    assert ping.delay().get(timeout=1) == "pong"


def test_beat_schedule_lives_in_settings_and_names_real_tasks(settings):
    registered = set(celery_app.tasks.keys())
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_ping_runs_on_a_real_worker_through_redis():
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        result = ping.delay()
        assert result.get(timeout=20) == "pong"
        assert result.backend.__class__.__name__ == "RedisBackend"
