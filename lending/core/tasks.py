from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """Liveness probe for workers and beat: returns "pong"."""
    return "pong"
