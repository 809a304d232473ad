"""Payoff pages: staff quote and posting under /staff/servicing/loans/<pk>/payoff/, the borrower's quote under
/portal/loans/<pk>/payoff/, and the letter PDF for both. Thin: parse a form, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from lending.core import roles
from lending.core.permissions import BorrowerRequiredMixin, RoleRequiredMixin
from servicing import selectors
from servicing.forms.payoff import PayoffPostForm, PortalQuoteForm, StaffQuoteForm
from servicing.models import LoanAccount, LoanPayoff, PayoffQuote
from servicing.selectors import payoff as payoff_selectors
from servicing.services.payments import PaymentError
from servicing.services.payoff import payoff_letter_pdf, payoff_post, payoff_quote_issue, payoff_today
from servicing.views.staff import LEDGER_ROLES, SERVICING_ROLES

# Who may take the payoff money and close the loan: the roles that post to the ledger.
POST_ROLES = LEDGER_ROLES


def _add_errors(form, exc: PaymentError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc).removeprefix(f"{exc.field}: ") if field else str(exc))


def _selected_quote(loan: LoanAccount, quotes: list[PayoffQuote], wanted: str | None) -> PayoffQuote | None:
    if wanted and wanted.isdigit():
        return next((q for q in quotes if str(q.pk) == wanted), None) or payoff_selectors.payoff_quote_for_loan(
            loan, wanted
        )
    return quotes[0] if quotes else None


def _letter_response(quote: PayoffQuote) -> HttpResponse:
    response = HttpResponse(payoff_letter_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="payoff-{quote.loan.loan_number}-{quote.pk}.pdf"'
    return response


def _paid_off_record(loan: LoanAccount) -> LoanPayoff | None:
    if loan.status != LoanAccount.Status.PAID_OFF:
        return None
    return LoanPayoff.objects.filter(loan=loan).select_related("transaction").first()


# --- staff -----------------------------------------------------------------------------------------------------


class StaffPayoffView(RoleRequiredMixin, TemplateView):
    """A loan's payoff: issue a quote, read the latest ones, download a letter, and (servicer, manager) post it."""

    allowed_roles = SERVICING_ROLES
    template_name = "servicing/payoff/staff.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.payoff_context())

    def post(self, request, *args, **kwargs):
        loan = selectors.loan_for_staff(pk=self.kwargs["pk"])
        form = StaffQuoteForm(request.POST)
        if form.is_valid():
            try:
                quote = payoff_quote_issue(
                    loan=loan,
                    as_of=form.cleaned_data["as_of"],
                    good_through=form.cleaned_data["good_through"],
                    actor=request.user,
                    channel=PayoffQuote.Channel.STAFF,
                )
            except PaymentError as exc:
                _add_errors(form, exc)
            else:
                return redirect(f"{reverse('servicing:loan-payoff', args=[loan.pk])}?quote={quote.pk}")
        return self.render_to_response(self.payoff_context(loan=loan, quote_form=form), status=400)

    def payoff_context(self, *, loan=None, quote_form=None, post_form=None) -> dict:
        loan = loan or selectors.loan_for_staff(pk=self.kwargs["pk"])
        today = payoff_today()
        quotes = payoff_selectors.payoff_quotes_for_loan(loan)
        active = loan.status == LoanAccount.Status.ACTIVE
        can_post = active and roles.has_role(self.request.user, *POST_ROLES)
        today_figures = payoff_selectors.payoff_figures(loan, as_of=today, good_through=today) if can_post else None
        return self.get_context_data(
            loan=loan,
            quotes=quotes,
            quote=_selected_quote(loan, quotes, self.request.GET.get("quote")),
            active=active,
            quote_form=quote_form or (StaffQuoteForm(initial=StaffQuoteForm.initial_for(today)) if active else None),
            can_post=can_post,
            today_figures=today_figures,
            post_form=post_form
            or (
                PayoffPostForm(initial=PayoffPostForm.initial_for(today, today_figures.total))
                if today_figures
                else None
            ),
            payoff=_paid_off_record(loan),
        )


class StaffPayoffPostView(RoleRequiredMixin, View):
    """Post the payoff money (POST only); a refusal re-renders the payoff page with the reason."""

    allowed_roles = POST_ROLES
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        loan = selectors.loan_for_staff(pk=self.kwargs["pk"])
        form = PayoffPostForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payoff_post(
                    loan=loan,
                    amount=data["amount"],
                    effective_date=data["effective_date"],
                    method=data["method"],
                    reference=data["reference"],
                    idempotency_key=data["idempotency_key"],
                    actor=request.user,
                )
            except PaymentError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"{loan.loan_number} is paid off.")
                return redirect("servicing:loan-payoff", pk=loan.pk)
        page = StaffPayoffView(request=request, kwargs=self.kwargs, args=self.args)
        return page.render_to_response(page.payoff_context(loan=loan, post_form=form), status=400)


class StaffPayoffLetterView(RoleRequiredMixin, View):
    allowed_roles = SERVICING_ROLES

    def get(self, request, *args, **kwargs):
        loan = selectors.loan_for_staff(pk=self.kwargs["pk"])
        return _letter_response(payoff_selectors.payoff_quote_for_loan(loan, self.kwargs["quote_pk"]))


# --- borrower portal -------------------------------------------------------------------------------------------


class PortalPayoffView(BorrowerRequiredMixin, TemplateView):
    """The borrower asks for a payoff quote good through a date they choose, reads it and downloads the letter."""

    template_name = "servicing/payoff/portal.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.payoff_context())

    def post(self, request, *args, **kwargs):
        loan = payoff_selectors.loan_for_borrower(user=request.user, pk=self.kwargs["pk"])
        form = PortalQuoteForm(request.POST)
        if form.is_valid():
            try:
                quote = payoff_quote_issue(
                    loan=loan,
                    as_of=payoff_today(),
                    good_through=form.cleaned_data["good_through"],
                    actor=request.user,
                    channel=PayoffQuote.Channel.PORTAL,
                )
            except PaymentError as exc:
                _add_errors(form, exc)
            else:
                return redirect(f"{reverse('servicing_portal:loan-payoff', args=[loan.pk])}?quote={quote.pk}")
        return self.render_to_response(self.payoff_context(loan=loan, form=form), status=400)

    def payoff_context(self, *, loan=None, form=None) -> dict:
        loan = loan or payoff_selectors.loan_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        active = loan.status == LoanAccount.Status.ACTIVE
        quotes = payoff_selectors.payoff_quotes_for_loan(loan)
        return self.get_context_data(
            loan=loan,
            quotes=quotes,
            quote=_selected_quote(loan, quotes, self.request.GET.get("quote")),
            active=active,
            form=form or (PortalQuoteForm(initial=PortalQuoteForm.initial_for(payoff_today())) if active else None),
        )


class PortalPayoffLetterView(BorrowerRequiredMixin, View):
    def get(self, request, *args, **kwargs):
        loan = payoff_selectors.loan_for_borrower(user=request.user, pk=self.kwargs["pk"])
        return _letter_response(payoff_selectors.payoff_quote_for_loan(loan, self.kwargs["quote_pk"]))
