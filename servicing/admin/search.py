"""The search box of the admin lists of a loan's records (transactions, journal entries, statements, drafts, fees,
bills, accruals, escrow, payoffs): the loans first, then their rows.

Django's search ORs each of ``search_fields`` into one WHERE across the join to the loan
(``UPPER(id::text) = 'BL-0005000' OR UPPER(loan.loan_number) LIKE '%BL-0005000%' OR ...``), which no index can
serve: 5 to 12 s a search at 100,000 loans (6 million transactions, 6 million statements; issue 15). Here the term
finds the loans as the loan list's search does (``servicing.selectors.loan_search``: loan number or borrower name
through trigram indexes, an email, a phone or an application number through theirs), then the rows of those loans
through the rows' loan index; a number is also a row's id, and ``exact_search_fields`` (unique keys) are matched
exactly. One index per condition: their OR is a bitmap OR, never a scan.

A term matching more than ``LISTED_LOANS`` loans (a bare "BL-00") lists the rows of the first of them and says so:
the rows of every match would be most of the table, in no order an index gives. While searching, the list is sorted
by ``id + 0``, which no index offers, so the planner fetches the loans' rows and sorts those instead of walking the
whole table newest first in hope of meeting them (0.9 s for 100 loans' statements).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db.models import F, Q

from servicing.models import LoanAccount
from servicing.selectors import loan_search

LISTED_LOANS = 500

if TYPE_CHECKING:  # a mixin listed before the ModelAdmin, whose options and methods it overrides
    from django.contrib.admin import ModelAdmin

    _AdminBase = ModelAdmin[Any]
else:
    _AdminBase = object


class LoanRecordSearchMixin(_AdminBase):
    """``get_search_results`` for the admin of a table whose rows belong to a loan (``loan_path`` to it); listed
    first among the admin's bases."""

    loan_path = "loan"
    exact_search_fields: tuple[str, ...] = ()
    search_fields = ("loan",)  # shows the search box; what it searches is get_search_results'
    search_help_text = "A loan number or borrower name (or a part of either), an email, a phone, or a row's number."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        ids = self._loan_ids(request, term)
        if len(ids) > LISTED_LOANS:
            messages.warning(
                request,
                f"More than {LISTED_LOANS} loans match \u201c{term}\u201d: the list shows the rows of the first "
                f"{LISTED_LOANS}. Type more of the loan number or the name to narrow it.",
            )
        return queryset.filter(self.search_condition(term, ids[:LISTED_LOANS])), False

    def search_condition(self, term: str, loan_ids: list[int]) -> Q:
        found = Q(**{f"{self.loan_path}__in": loan_ids})
        if term.isdigit() and len(term) <= 18:  # a row's id (bigint)
            found |= Q(pk=int(term))
        for field in self.exact_search_fields:
            found |= Q(**{field: term})
        return found

    def get_ordering(self, request):
        if request.GET.get("q", "").strip():
            return [(F("pk") + 0).desc()]
        return super().get_ordering(request)

    def _loan_ids(self, request, term: str) -> list[int]:
        """The ids of the first ``LISTED_LOANS`` + 1 loans the term finds."""
        loans = LoanAccount.objects.filter(loan_search(term)).order_by("pk").values_list("pk", flat=True)
        return list(loans[: LISTED_LOANS + 1])
