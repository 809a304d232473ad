"""The database features later issues rely on: row locks that really block (PostgreSQL only)."""

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from lending.core.models import User
from tests.core.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_select_for_update_blocks_a_second_connection():
    user = UserFactory()
    outcome: dict[str, object] = {}

    def second_connection():
        try:
            with transaction.atomic():
                User.objects.select_for_update(nowait=True).get(pk=user.pk)
            outcome["locked"] = False
        except DatabaseError:
            outcome["locked"] = True
        finally:
            connections.close_all()

    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        worker = threading.Thread(target=second_connection)
        worker.start()
        worker.join(timeout=30)
    assert outcome == {"locked": True}
    assert connection.vendor == "postgresql"
