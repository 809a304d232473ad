"""A loan's full history for staff, one page at a time: the schedule, the transactions with their allocation,
and the sub-ledger (journal entries with their lines). The loan page shows a window of each and links here."""

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page
from django.views.generic import TemplateView

from lending.core.permissions import RoleRequiredMixin
from servicing import selectors
from servicing.selectors import loan_pages
from servicing.views.staff import SERVICING_ROLES


class _LoanHistoryView(RoleRequiredMixin, TemplateView):
    """A loan (404 when missing) and one page of one of its histories (``?page=``; out of range: the last)."""

    allowed_roles = SERVICING_ROLES
    read_page: Callable[..., Page[Any]] | None = None  # a loan_pages selector: (loan, page) -> Page

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = selectors.loan_for_staff(pk=self.kwargs["pk"])
        page = type(self).read_page(loan, self.request.GET.get("page"))
        context.update(loan=loan, page=page, rows=list(page.object_list))
        return context


class LoanScheduleView(_LoanHistoryView):
    template_name = "servicing/loan_schedule.html"
    read_page = loan_pages.loan_schedule_page


class LoanTransactionsView(_LoanHistoryView):
    template_name = "servicing/loan_transactions.html"
    read_page = loan_pages.loan_transactions_page


class LoanLedgerView(_LoanHistoryView):
    template_name = "servicing/loan_ledger.html"
    read_page = loan_pages.loan_entries_page
