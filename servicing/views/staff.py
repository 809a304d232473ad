"""Servicing staff pages: the loan list, a loan's detail, the trial balance. Thin: a selector, then a template."""

from urllib.parse import urlencode

from django.urls import reverse
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.pagination import CappedPaginator
from lending.core.permissions import RoleRequiredMixin
from lending.finance.delinquency import DPD_BUCKETS
from servicing import selectors
from servicing.forms.ledger import TrialBalanceForm
from servicing.models import LoanAccount
from servicing.selectors import loan_pages
from servicing.selectors import portal as portal_selectors
from servicing.selectors import replay as replay_selectors

SERVICING_ROLES = (roles.SERVICER, roles.COLLECTOR, roles.MANAGER)
LEDGER_ROLES = (roles.SERVICER, roles.MANAGER)
LOANS_PAGE_SIZE = 50


class HomeView(RoleRequiredMixin, TemplateView):
    """The loan accounts, newest first, paginated; filter by status and delinquency bucket, search by loan number,
    borrower name, email or phone (each through an index). At most 100 pages: past them, a search."""

    allowed_roles = SERVICING_ROLES
    template_name = "servicing/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        status = params.get("status", "")
        status = status if status in LoanAccount.Status.values else ""
        query = params.get("q", "").strip()
        bucket = params.get("bucket", "")
        bucket = bucket if bucket in DPD_BUCKETS else ""
        loans = selectors.loan_list_rows(status=status, query=query, bucket=bucket)
        page = CappedPaginator(loans, LOANS_PAGE_SIZE).get_page(params.get("page"))
        context.update(
            page=page,
            loans=list(page.object_list),
            # One reverse() for the 50 rows' links, not one each (a {% url %} costs 20-70 us)
            detail_url=reverse("servicing:loan-detail", args=[0]).removesuffix("0/"),
            status=status,
            query=query,
            statuses=LoanAccount.Status.choices,
            bucket=bucket,
            buckets=DPD_BUCKETS,
            status_query=urlencode({k: v for k, v in (("bucket", bucket), ("q", query)) if v}),
            bucket_query=urlencode({k: v for k, v in (("status", status), ("q", query)) if v}),
            page_query=urlencode({k: v for k, v in (("status", status), ("bucket", bucket), ("q", query)) if v}),
            can_view_ledger=roles.has_role(self.request.user, *LEDGER_ROLES),
        )
        return context


class LoanDetailView(RoleRequiredMixin, TemplateView):
    """One loan: the booked terms, running balances beside the journal's, the next payment due, a window of the
    schedule, the latest transactions with their allocation and journal entries, and escrow. The full schedule,
    transaction history and sub-ledger are paginated pages of their own (views/loan_history.py): the page costs
    the same queries and time for a loan with 1 payment as for one with years of them."""

    allowed_roles = SERVICING_ROLES
    template_name = "servicing/loan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = selectors.loan_for_staff(pk=self.kwargs["pk"])
        journal = selectors.loan_balances_from_journal([loan.pk])[loan.pk]
        overview = loan_pages.loan_overview(loan)
        context.update(
            loan=loan,
            balances=[
                (label, getattr(loan, field), journal[field])
                for label, field in (
                    ("Principal", "principal_balance"),
                    ("Interest due", "interest_due"),
                    ("Interest paid in advance", "interest_prepaid"),
                    ("Fees due", "fees_due"),
                    ("Escrow", "escrow_balance"),
                    ("Suspense", "suspense_balance"),
                )
            ],
            overview=overview,
            schedule_page=loan_pages.schedule_page_of(overview.next_due),
            replays=replay_selectors.loan_replays(loan),
            autopay=portal_selectors.active_autopay(loan),
            can_post=roles.has_role(self.request.user, *LEDGER_ROLES),
        )
        return context


class TrialBalanceView(RoleRequiredMixin, TemplateView):
    """Debits and credits per account as of a date (all entries by default); they net to zero."""

    allowed_roles = LEDGER_ROLES
    template_name = "servicing/trial_balance.html"

    def get(self, request, *args, **kwargs):
        form = TrialBalanceForm(request.GET or None)
        valid = form.is_valid() if form.is_bound else True
        as_of = form.cleaned_data.get("as_of") if valid and form.is_bound else None
        context = self.get_context_data(form=form, trial=selectors.trial_balance(as_of) if valid else None)
        return self.render_to_response(context, status=200 if valid else 400)
