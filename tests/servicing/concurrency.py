"""Running the same work from several threads at once (PostgreSQL tests of locking and idempotency)."""

import threading

from django.db import connection


def run_in_threads(count, work) -> list[Exception]:
    """Start ``count`` threads that call ``work(index)`` together (behind a barrier); return what they raised.
    Each thread closes its own database connection; a thread still alive after 120 s fails the test (deadlock)."""
    errors = []
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            work(index)
        except Exception as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return errors
