"""The collections workbench under /staff/collections/ (namespace "collections"): the queue of delinquent loans
and a loan's collections page with its contact log, promises, cease-contact flag and assignment. Collectors and
managers only. Thin: parse a form, call a service or selector, render; a refusal re-renders with the reason (400).
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from lending.core import roles
from lending.core.models import User
from lending.core.pagination import CachedCountPaginator
from lending.core.permissions import RoleRequiredMixin
from servicing.forms.charge_off import ChargeOffForm, RecoveryForm
from servicing.forms.collections import (
    AssignForm,
    CeaseContactForm,
    ContactForm,
    PromiseForm,
    QueueFilterForm,
    ReassignForm,
)
from servicing.models import LoanAccount
from servicing.selectors import collections as selectors
from servicing.selectors.charge_off import charge_off_section
from servicing.selectors.loss_mitigation import queue_deadlines, with_reg_x
from servicing.services import collections as services
from servicing.services.collections import CollectionsError
from servicing.views.loss_mitigation_section import section_context
from servicing.views.plans_section import plans_context

COLLECTIONS_ROLES = (roles.COLLECTOR, roles.MANAGER)
QUEUE_PAGE_SIZE = 50


def _add_error(form, exc: CollectionsError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


QUEUE_COUNT_SECONDS = 60


def queue_paginator(loans, filters: selectors.QueueFilters, *, valid: bool = True) -> CachedCountPaginator:
    """The queue's pages, its count cached for a minute per set of filters (the count reads every delinquent loan,
    from SQL compiled once: ``selectors.queue_count``; a page, one index range); "Next" is exact whatever the count
    says. Invalid filters list nothing."""
    key = "collections:queue-count:" + hashlib.sha256(repr(filters).encode()).hexdigest()
    counter = partial(selectors.queue_count, filters) if valid else None
    return CachedCountPaginator(loans, QUEUE_PAGE_SIZE, cache_key=key, seconds=QUEUE_COUNT_SECONDS, counter=counter)


def loan_link_prefix() -> str:
    """The start of a loan's collections link ("/staff/collections/loans/"): a queue row adds its pk and "/" (a
    ``{% url %}`` per row was a sixth of the page's rendering)."""
    return reverse("collections:loan", kwargs={"pk": 0}).removesuffix("0/")


class QueueView(RoleRequiredMixin, TemplateView):
    """Delinquent loans, most days past due first; filters; managers assign the unassigned ones."""

    allowed_roles = COLLECTIONS_ROLES
    template_name = "servicing/collections/queue.html"

    def get(self, request, *args, **kwargs):
        collectors = selectors.collectors()
        form = QueueFilterForm(request.GET or None, products=selectors.queue_products(), collectors=collectors)
        valid = form.is_valid() if form.is_bound else True
        data = form.cleaned_data if form.is_bound and valid else {}
        filters = selectors.QueueFilters(
            bucket=data.get("bucket", ""),
            product=data.get("product", ""),
            state=data.get("state", ""),
            collector=data.get("collector", ""),
            next_action_by=data.get("next_action_by"),
            include_promised=data.get("include_promised", False),
        )
        loans = selectors.QueueIds(filters) if valid else LoanAccount.objects.none()
        page = queue_paginator(loans, filters, valid=valid).get_page(request.GET.get("page"))
        query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
        context = self.get_context_data(
            form=form,
            page=page,
            loans=queue_deadlines(selectors.queue_rows(page.object_list, decorate=with_reg_x)),
            page_query=query,
            is_manager=roles.has_role(request.user, roles.MANAGER),
            assign_form=AssignForm(),
            loan_link=loan_link_prefix(),
        )
        return self.render_to_response(context, status=200 if valid else 400)


class AssignView(RoleRequiredMixin, View):
    """A manager assigns the unassigned delinquent loans (of one bucket, or all) round robin (POST)."""

    allowed_roles = (roles.MANAGER,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a delinquency bucket from the list.")
            return redirect("collections:queue")
        try:
            count = services.loans_assign(actor=request.user, bucket=form.cleaned_data["bucket"])
        except CollectionsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{count} loan{'' if count == 1 else 's'} assigned.")
        return redirect("collections:queue")


class LoanCollectionsView(RoleRequiredMixin, TemplateView):
    """A loan's collections page. GET shows it; the POST views below re-render it with a form's errors."""

    allowed_roles: tuple[str, ...] = COLLECTIONS_ROLES
    template_name = "servicing/collections/loan.html"

    def page_context(self, status: int = 200, **forms):
        page = selectors.collections_page(self.kwargs["pk"])
        if page is None:
            raise Http404("No such loan.")
        user = self.request.user
        is_manager = roles.has_role(user, roles.MANAGER)
        collectors = selectors.collectors() if is_manager else []
        context = self.get_context_data(
            page=page,
            loan=page.loan,
            contact_form=forms.get("contact_form") or ContactForm(),
            promise_form=forms.get("promise_form") or PromiseForm(),
            cease_form=forms.get("cease_form") or CeaseContactForm(),
            reassign_form=forms.get("reassign_form")
            or ReassignForm(collectors=collectors, initial={"collector": page.loan.collector_id or ""}),
            is_manager=is_manager,
            can_clear_cease=is_manager,
            **section_context(cast(User, user), page.loan, forms),
            **plans_context(page.loan, forms, user),
            charge_off=charge_off_section(page.loan),
            charge_off_form=forms.get("charge_off_form") or ChargeOffForm(),
            recovery_form=forms.get("recovery_form") or RecoveryForm(),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.page_context()


def _loan(pk: int) -> LoanAccount:
    loan = LoanAccount.objects.filter(pk=pk).first()
    if loan is None:
        raise Http404("No such loan.")
    return loan


class _LoanActionView(LoanCollectionsView):
    """POST one form of the loan's page: success redirects back to it, a refusal re-renders it with 400."""

    http_method_names = ["post"]
    form_name = ""

    def post(self, request, *args, **kwargs):
        loan = _loan(self.kwargs["pk"])
        form = self.make_form(request)
        if form.is_valid():
            try:
                done = self.act(loan, form.cleaned_data)
            except CollectionsError as exc:
                _add_error(form, exc)
            else:
                messages.success(request, done)
                return redirect(reverse("collections:loan", args=[loan.pk]))
        return self.page_context(status=400, **{self.form_name: form})

    def make_form(self, request):
        raise NotImplementedError

    def act(self, loan: LoanAccount, data: dict) -> str:
        raise NotImplementedError


class ContactLogView(_LoanActionView):
    form_name = "contact_form"

    def make_form(self, request):
        return ContactForm(request.POST)

    def act(self, loan, data):
        attempt = services.contact_log(
            actor=self.request.user,
            loan=loan,
            channel=data["channel"],
            outcome=data["outcome"],
            right_party_contact=data["right_party_contact"],
            note=data["note"],
            at=data["at"],
        )
        return f"{attempt.get_channel_display()} logged."


class PromiseMakeView(_LoanActionView):
    form_name = "promise_form"

    def make_form(self, request):
        return PromiseForm(request.POST)

    def act(self, loan, data):
        promise = services.promise_make(
            actor=self.request.user, loan=loan, amount=data["amount"], promised_date=data["promised_date"]
        )
        return f"Promise of ${promise.amount:,} by {promise.promised_date:%b %d, %Y} recorded."


class CeaseContactView(_LoanActionView):
    """Collectors and managers set the flag; only a manager clears it (the borrower withdrew the request)."""

    form_name = "cease_form"

    def make_form(self, request):
        return CeaseContactForm(request.POST)

    def act(self, loan, data):
        if data["action"] == "set":
            services.cease_contact_set(actor=self.request.user, loan=loan, note=data["note"])
            return "Cease contact set: no further contact will be logged."
        if not roles.has_role(self.request.user, roles.MANAGER):
            raise CollectionsError("Only a manager may clear the cease-contact flag.")
        services.cease_contact_clear(actor=self.request.user, loan=loan, note=data["note"])
        return "Cease contact cleared."


class ReassignView(_LoanActionView):
    allowed_roles = (roles.MANAGER,)
    form_name = "reassign_form"

    def make_form(self, request):
        return ReassignForm(request.POST, collectors=selectors.collectors())

    def act(self, loan, data):
        collector = next((u for u in selectors.collectors() if str(u.pk) == data["collector"]), None)
        services.loan_reassign(actor=self.request.user, loan=loan, collector=collector)
        name = (collector.get_full_name() or collector.email) if collector else "nobody"
        return f"Loan assigned to {name}."
