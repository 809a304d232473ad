"""A paginator for the staff lists whose deep pages stay as cheap as the first (issue 15).

A page is an OFFSET: page 1,000 of the loan list makes the database walk 50,000 rows to skip them, and the count
behind "Page 1 of 2,000" reads every row. Nobody reads page 1,000; they search. So a list shows at most
``max_rows`` rows (5,000: 100 pages of 50, 50 admin pages of 100), counts at most one row past that (``SELECT
COUNT(*) FROM (... LIMIT 5001)``), and a page number beyond the cap gives the last page; the template says the
list goes on and asks for a search (``capped``). The worst page costs a bounded OFFSET whatever the table's size.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import EmptyPage, Paginator
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
