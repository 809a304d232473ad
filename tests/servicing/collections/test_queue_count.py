"""The queue's count (its "of N" when no count is cached) is ``collections_queue(filters).count()`` for every shape
of filters, from SQL compiled once per shape (``selectors.collections.queue_count``; on SQLite the queryset counts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanAccount
from servicing.selectors.collections import QueueFilters, QueueIds, collections_queue, queue_count, queue_ids
from servicing.services import collections
from servicing.services.collections import promise_make
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(monkeypatch):
    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 16))
    collector = user_with_role(roles.COLLECTOR)
    a, b, c = delinquent_loan(), delinquent_loan(days=95, bucket="90-119"), delinquent_loan(days=50)
    LoanAccount.objects.filter(pk__in=[a.pk, c.pk]).update(collector=collector)
    LoanAccount.objects.filter(pk=c.pk).update(product_code=a.product_code)
    promised = delinquent_loan(days=20, bucket="1-29")
    promise_make(actor=collector, loan=promised, amount=Decimal("100.00"), promised_date=date(2027, 2, 20))
    return collector, a, b, c, promised


def test_the_count_is_the_querysets_for_every_shape_of_filters(book):
    collector, a, b, _c, _promised = book
    cases = [
        (QueueFilters(), 3),
        (QueueFilters(include_promised=True), 4),
        (QueueFilters(bucket="30-59"), 2),
        (QueueFilters(bucket="90-119"), 1),
        (QueueFilters(collector=str(collector.pk)), 2),
        (QueueFilters(collector="none"), 1),
        (QueueFilters(state="IL", product=a.product_code), 2),  # two texts in one query, each in its place
        (QueueFilters(state="IL", product=b.product_code), 1),
        (QueueFilters(state="CA", bucket="30-59"), 0),
        (QueueFilters(bucket="30-59", product=a.product_code, collector=str(collector.pk)), 2),
        (QueueFilters(next_action_by=date(2027, 2, 20)), 1),
        (QueueFilters(next_action_by=date(2027, 2, 19)), 0),
    ]
    for filters, expected in cases * 2:  # the second time from the SQL compiled the first
        assert queue_count(filters) == collections_queue(filters).count() == expected, filters
        in_order = [loan.pk for loan in collections_queue(filters)]
        assert queue_ids(filters, 0, 10) == QueueIds(filters)[0:10] == in_order, filters
        assert queue_ids(filters, 1, 2) == in_order[1:2], filters


def test_the_page_says_of_how_many_pages_from_the_count(client, book, monkeypatch):
    collector, *_ = book
    monkeypatch.setattr("servicing.views.collections.QUEUE_PAGE_SIZE", 1)
    client.force_login(collector)
    for params, pages in (({}, 3), ({"include_promised": "on"}, 4), ({"collector": str(collector.pk)}, 2)):
        cache.clear()
        page = client.get(reverse("collections:queue"), params).content.decode()
        assert f"Page 1 of {pages}<" in page, params
