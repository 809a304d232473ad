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


# --- CachedCountPaginator: the "of N" cached, the rows exact ---------------------------------------------------


def _cached(users, per_page=2):
    from lending.core.pagination import CachedCountPaginator

    return CachedCountPaginator(users, per_page, cache_key="test:users-count", seconds=60)


def test_the_count_is_read_once_a_minute_and_a_page_reads_one_row_past_its_last(users):
    with CaptureQueriesContext(connection) as first:
        page = _cached(users).get_page(2)
    assert [u.pk for u in page] == [u.pk for u in users[2:4]]
    assert (page.number, page.has_next(), page.next_page_number(), page.of_pages) == (2, True, 3, 4)  # 7 rows
    assert len(first) == 2  # the count, then rows 3-5 (one past the page: is there a next?)
    assert "COUNT(*)" in first[0]["sql"]
    with CaptureQueriesContext(connection) as second:
        page = _cached(users).get_page(4)
    assert len(second) == 1  # the count came from the cache
    assert [u.pk for u in page] == [users[6].pk]
    assert (page.has_next(), page.has_previous(), page.of_pages) == (False, True, 4)


def test_with_a_count_behind_the_rows_next_still_leads_to_every_row(users):
    _cached(users).count  # noqa: B018 -- caches 7
    UserFactory.create_batch(4)  # 11 rows now, the cached count still says 7 (4 pages)
    page = _cached(users).get_page(4)
    assert [u.pk for u in page] == [u.pk for u in users[6:8]]
    assert (page.has_next(), page.of_pages) == (True, 5)  # the rows say a 5th page exists; the count said 4
    page = _cached(users).get_page(5)  # "Next" from the 4th: the page after the count's last is read
    assert ([u.pk for u in page], page.has_next(), page.of_pages) == ([u.pk for u in users[8:10]], True, 6)
    assert _cached(users).get_page(6).number == 4  # two past the count: its last page until the count is renewed


def test_with_a_count_ahead_of_the_rows_a_page_past_them_is_the_last_page_by_the_count(users):
    _cached(users).count  # noqa: B018 -- caches 7 (4 pages)
    User.objects.filter(pk__in=[u.pk for u in users[4:]]).delete()  # 4 rows left: 2 pages
    with CaptureQueriesContext(connection) as queries:
        page = _cached(users).get_page(9)  # far past the count: its last page (4), read once; no rows there now
    assert (page.number, list(page), page.has_next(), len(queries)) == (4, [], False, 1)
    with CaptureQueriesContext(connection) as queries:
        page = _cached(users).get_page(5)  # the page after the count's last: read, empty, then the last page
    assert (page.number, list(page), len(queries)) == (4, [], 2)
    page = _cached(users).get_page(2)
    assert ([u.pk for u in page], page.has_next()) == ([u.pk for u in users[2:4]], False)
    with pytest.raises(EmptyPage):
        _cached(users).page(0)
    assert _cached(users).get_page("x").number == 1
