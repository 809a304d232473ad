"""Borrower portal pages for loans: the portal home (applications and loans), a loan's page, its schedule and
payment history, a one-time ACH payment, and autopay. Borrowers only (``BorrowerRequiredMixin``), and only
their own loans: any other loan is 404. Thin: a selector or a service, then a template."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import dateformat
from django.views.generic import RedirectView, TemplateView, View

from lending.core.permissions import BorrowerRequiredMixin
from origination.views.portal import PortalHomeView as ApplicationsHomeView
from servicing.forms.portal import AutopayForm, OneTimePaymentForm
from servicing.models import AutopayEnrollment, PendingPayment
from servicing.selectors import portal as selectors
from servicing.services import ach
from servicing.services.ach import AchError

REFUSED_TEMPLATE = "servicing/portal/refused.html"


def _today():
    return ach._today()  # one "today" for the pages and the rules they show


def _long(day) -> str:
    return dateformat.format(day, "F j, Y")


class PortalHomeView(ApplicationsHomeView):
    """The borrower's applications (origination) and their loans: balance and next payment."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["loans"] = selectors.loans_for_borrower(user=self.request.user)
        return context


class LoansIndexView(BorrowerRequiredMixin, RedirectView):
    """/portal/loans/ itself: the loans are listed on the portal home."""

    pattern_name = "portal-home"


class BorrowerLoanMixin(BorrowerRequiredMixin):
    """Resolves ``self.loan``: the signed-in borrower's loan, else 404."""

    loan = None  # views are instantiated per request: this caches the loan for one request
    request: HttpRequest  # set by the view this mixes into
    kwargs: dict[str, Any]

    def get_loan(self):
        if self.loan is None:
            self.loan = selectors.loan_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        return self.loan

    def refused(self, message: str, status: int = 409) -> TemplateResponse:
        return TemplateResponse(
            self.request, REFUSED_TEMPLATE, {"loan": self.get_loan(), "message": message}, status=status
        )


class LoanDetailView(BorrowerLoanMixin, TemplateView):
    """Balances, the next payment and its breakdown, the next installments, recent payments with their
    waterfalls, scheduled payments, escrow, autopay, and links to the full schedule, history and payoff."""

    template_name = "servicing/portal/loan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = self.get_loan()
        context.update(
            loan=loan,
            next_payment=selectors.next_payment_breakdown(loan, as_of=_today()),
            upcoming=selectors.upcoming_installments(loan),
            payments=selectors.recent_payments(loan),
            recent_limit=selectors.RECENT_PAYMENTS,
            waterfall_columns=selectors.WATERFALL_COLUMNS,
            pending=selectors.pending_payments(loan),
            escrow_items=selectors.escrow_items(loan),
            autopay=selectors.active_autopay(loan),
        )
        return context


class LoanScheduleView(BorrowerLoanMixin, TemplateView):
    template_name = "servicing/portal/schedule.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = self.get_loan()
        page = selectors.schedule_page(loan, self.request.GET.get("page"))
        context.update(loan=loan, page=page, installments=list(page.object_list))
        return context


class LoanHistoryView(BorrowerLoanMixin, TemplateView):
    template_name = "servicing/portal/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = self.get_loan()
        page, rows = selectors.payment_history_page(loan, self.request.GET.get("page"))
        context.update(loan=loan, page=page, payments=rows, waterfall_columns=selectors.WATERFALL_COLUMNS)
        return context


class OneTimePaymentView(BorrowerLoanMixin, TemplateView):
    """Schedule a one-time ACH payment. Recorded as pending; posted when it settles."""

    template_name = "servicing/portal/pay.html"

    def _form(self, data=None) -> OneTimePaymentForm:
        autopay = selectors.active_autopay(self.get_loan())
        # A suspended enrollment's account came back returned: it is not offered for a payment.
        return OneTimePaymentForm(data, today=_today(), autopay=None if autopay and autopay.suspended else autopay)

    def _render(self, form, status=200):
        loan = self.get_loan()
        today = _today()
        context = self.get_context_data(
            loan=loan,
            form=form,
            next_payment=selectors.next_payment_breakdown(loan, as_of=today),
            ceiling=selectors.payment_ceiling(loan=loan, on=today, principal_only=False),
            max_days=ach.MAX_SCHEDULE_DAYS,
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        loan = self.get_loan()
        if loan.status != loan.Status.ACTIVE:
            return self.refused(
                f"Loan {loan.loan_number} is {loan.get_status_display().lower()}: it takes no payments."
            )
        return self._render(self._form())

    def post(self, request, *args, **kwargs):
        loan = self.get_loan()
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pending = ach.ach_payment_schedule(
                    loan=loan,
                    amount=data["amount"],
                    scheduled_date=data["scheduled_date"],
                    principal_only=data["principal_only"],
                    bank=form.bank_details(),
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                )
            except AchError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request,
                    f"Payment of ${pending.amount:,} from the account ending {pending.account_last4} scheduled for "
                    f"{_long(pending.scheduled_date)}. It posts to your loan when the bank transfer settles.",
                )
                return redirect("servicing_portal:loan-detail", pk=loan.pk)
        return self._render(form, status=400)


class PendingPaymentCancelView(BorrowerLoanMixin, View):
    """Cancel a one-time payment that has not settled yet (POST)."""

    def post(self, request, *args, **kwargs):
        loan = self.get_loan()
        pending = get_object_or_404(PendingPayment, pk=kwargs["payment_pk"], loan=loan)
        try:
            ach.ach_payment_cancel(pending=pending, actor=request.user)
        except AchError as exc:
            return self.refused(f"The payment cannot be cancelled: {exc.message}.")
        messages.success(
            request, f"Your payment of ${pending.amount:,} for {_long(pending.scheduled_date)} is cancelled."
        )
        return redirect("servicing_portal:loan-detail", pk=loan.pk)


class AutopayView(BorrowerLoanMixin, TemplateView):
    """See autopay (and why it is suspended), or enroll (POST). The nightly ACH step makes the drafts."""

    template_name = "servicing/portal/autopay.html"

    def _render(self, form, status=200):
        loan = self.get_loan()
        context = self.get_context_data(
            loan=loan,
            form=form,
            autopay=selectors.active_autopay(loan),
            installment_amount=selectors.installment_amount(loan),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self._render(AutopayForm())

    def post(self, request, *args, **kwargs):
        loan = self.get_loan()
        form = AutopayForm(request.POST)
        if form.is_valid():
            try:
                enrollment = ach.autopay_enroll(
                    loan=loan,
                    bank=form.bank_details(),
                    draft_days_before=form.cleaned_data["draft_days_before"],
                    extra_principal=form.cleaned_data["extra_principal"],
                    max_draft_amount=form.cleaned_data["max_draft_amount"],
                    actor=request.user,
                )
            except AchError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, f"Autopay is set up from the account ending {enrollment.account_last4}.")
                return redirect("servicing_portal:loan-autopay", pk=loan.pk)
        return self._render(form, status=400)


class AutopayCancelView(BorrowerLoanMixin, View):
    def post(self, request, *args, **kwargs):
        loan = self.get_loan()
        enrollment = AutopayEnrollment.objects.filter(loan=loan).order_by("-active", "-id").first()
        if enrollment is None:
            return self.refused("This loan has no autopay to cancel.")
        try:
            ach.autopay_cancel(enrollment=enrollment, actor=request.user)
        except AchError as exc:
            return self.refused(f"Autopay cannot be cancelled: {exc.message}.")
        messages.success(request, "Autopay is cancelled.")
        return redirect("servicing_portal:loan-autopay", pk=loan.pk)
