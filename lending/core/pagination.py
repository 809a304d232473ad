"""A paginator for the staff lists whose deep pages stay as cheap as the first (issue 15).

A page is an OFFSET: page 1,000 of the loan list makes the database walk 50,000 rows to skip them, and the count
behind "Page 1 of 2,000" reads every row. Nobody reads page 1,000; they search. So a list shows at most
``max_rows`` rows (5,000: 100 pages of 50), counts at most one row past that (``SELECT
COUNT(*) FROM (... LIMIT 5001)``), and a page number beyond the cap gives the last page; the template says the
list goes on and asks for a search (``capped``). The worst page costs a bounded OFFSET whatever the table's size.
"""

from __future__ import annotations

from functools import cached_property

from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet

MAX_ROWS = 5_000


class CappedPaginator(Paginator):
    """A Paginator over at most ``max_rows`` rows (whole pages); ``total`` may be given when the caller already knows it
    (the pipeline's status counts), else it is counted up to one row past the cap."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, max_rows: int | None = None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.max_rows = max_rows or MAX_ROWS

    @property
    def limit(self) -> int:
        """The rows the pages can show: ``max_rows`` rounded down to whole pages (at least one)."""
        return max(1, self.max_rows // self.per_page) * self.per_page

    @cached_property
    def total(self) -> int:
        """The rows, counted no further than one past ``limit`` (enough to know the list goes on)."""
        if isinstance(self.object_list, QuerySet):
            # Unordered: the scan stops at the first limit + 1 matches, whichever they are (no sort of them all).
            return self.object_list.order_by()[: self.limit + 1].count()
        if hasattr(self.object_list, "count_up_to"):  # lending.core.compiled.CompiledRows: the same count, compiled
            return self.object_list.count_up_to(self.limit + 1)
        return len(self.object_list)

    @cached_property
    def count(self) -> int:  # the rows the pages show: Paginator counts them all
        return min(self.total, self.limit)

    def validate_number(self, number):
        """A page past the cap is the last page shown (the admin asks for pages by number and errs on a bad one)."""
        try:
            return super().validate_number(number)
        except EmptyPage:
            if not self.capped or int(number) < 1:  # int() cannot fail: the parent turned it into an int first
                raise
            return self.num_pages

    @property
    def capped(self) -> bool:
        """True when there are rows beyond the last page: the template asks for a search."""
        return self.total > self.limit


class CachedCountPaginator(Paginator):
    """A Paginator whose count (the "of N" of "Page 3 of 140") is cached for ``seconds`` under ``cache_key``, and
    whose "next page" is exact: a page reads one row past its last to know whether another follows.

    For hot work lists whose count costs more than the page itself: the collections queue's count reads every
    delinquent loan (7,000 in the bench, 16-18 ms, a third of the page), the page's rows one index range. A count
    up to ``seconds`` old only shifts the "of N"; what a page shows and where "Next" leads come from the rows.
    A page number past the count gives the last page by the count, like ``get_page``; only the page right after
    it is read, since a count behind the rows reaches it by "Next"."""

    def __init__(self, object_list, per_page, *, cache_key: str, seconds: int, counter=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cache_key = cache_key
        self.seconds = seconds
        self.counter = counter  # counts the rows when the cache has no count (else the object list counts)

    @cached_property
    def count(self) -> int:
        counted = cache.get(self.cache_key)
        if counted is None:
            counted = self.counter() if self.counter is not None else super().count
            cache.set(self.cache_key, counted, self.seconds)
        return counted

    def validate_number(self, number):
        """A whole number from 1. One page past the count is allowed (the rows said it exists: a count up to
        ``seconds`` old may be short of them); further past it is the last page by the count, as ``get_page``
        gives, without reading rows that are not there."""
        try:
            return super().validate_number(number)
        except EmptyPage:
            if int(number) != self.num_pages + 1:  # int() cannot fail: the parent turned it into an int first
                raise
            return int(number)

    def page(self, number):
        number = self.validate_number(number)
        rows = self._rows(number)
        if not rows and number > self.num_pages > 0:  # the page after the count's last, and no row there
            number = self.num_pages
            rows = self._rows(number)
        page = self._get_page(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def _rows(self, number: int) -> list:
        bottom = (number - 1) * self.per_page
        return list(self.object_list[bottom : bottom + self.per_page + 1])

    def _get_page(self, *args, **kwargs):
        return ExactNextPage(*args, **kwargs)


class ExactNextPage(Page):
    """A page that knows from its rows whether another follows (``CachedCountPaginator.page`` sets ``more``)."""

    more = False

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        return self.number + 1  # the rows said there is one (the count may not know it yet)

    @property
    def of_pages(self) -> int:
        """The "of N": the count's pages, never fewer than the pages the rows show to exist."""
        return max(self.paginator.num_pages, self.number + self.more)
