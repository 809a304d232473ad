"""bulk_update_rows writes every listed field of every row (values and NULLs), and nothing else."""

from datetime import UTC, datetime

import pytest

from lending.core.bulk import bulk_update_rows
from lending.core.models import User
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_listed_fields_of_every_row_are_written_and_others_left_alone():
    users = [UserFactory(first_name="old", last_name="same") for _ in range(3)]
    moment = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    for n, user in enumerate(users):
        user.first_name = f"new-{n}"
        user.last_login = moment if n else None  # a NULL among values
        user.last_name = "not saved"
    bulk_update_rows(User, users, ["first_name", "last_login"])
    rows = list(
        User.objects.filter(pk__in=[u.pk for u in users])
        .order_by("pk")
        .values_list("first_name", "last_login", "last_name")
    )
    assert rows == [("new-0", None, "same"), ("new-1", moment, "same"), ("new-2", moment, "same")]


def test_nothing_to_update_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk_update_rows(User, [], ["first_name"])
