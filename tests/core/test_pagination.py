"""The capped paginator of the staff lists: deep pages cost a bounded OFFSET and the count a bounded scan."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core.models import User
from lending.core.pagination import CappedPaginator
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    UserFactory.create_batch(7)
    return User.objects.order_by("pk")


def test_a_list_longer_than_the_cap_shows_whole_pages_up_to_it_and_says_it_goes_on(users):
    paginator = CappedPaginator(users, 2, max_rows=5)  # 5 rows rounded down to whole pages of 2: 4 rows
    with CaptureQueriesContext(connection) as queries:
        assert (paginator.count, paginator.num_pages, paginator.capped) == (4, 2, True)
    assert len(queries) == 1
    assert "LIMIT 5" in queries[0]["sql"]  # counted no further than one row past the 4 shown
    assert "ORDER BY" not in queries[0]["sql"]  # unordered: the scan stops at the 5th match, nothing is sorted
    assert [u.pk for u in paginator.page(2)] == [u.pk for u in users[2:4]]
    assert paginator.get_page(1000).number == 2  # a page past the cap is the last page shown
    assert paginator.page(1000).number == 2  # also for the admin, which asks page() and errs on EmptyPage
    with pytest.raises(EmptyPage):
        paginator.page(0)
    with pytest.raises(PageNotAnInteger):
        paginator.page("x")


def test_a_list_within_the_cap_is_an_ordinary_paginator(users):
    paginator = CappedPaginator(users, 3, max_rows=9)
    assert (paginator.count, paginator.num_pages, paginator.capped) == (7, 3, False)
    with pytest.raises(EmptyPage):
        paginator.page(4)
    assert paginator.get_page(4).number == 3


def test_a_known_total_spares_the_count(users):
    paginator = CappedPaginator(users, 2, max_rows=4)
    paginator.total = 100  # e.g. from the pipeline's status counts
    with CaptureQueriesContext(connection) as queries:
        assert (paginator.count, paginator.num_pages, paginator.capped) == (4, 2, True)
    assert queries.captured_queries == []
