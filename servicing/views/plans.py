"""Plans on a loan's collections page (namespace "collections"): propose, approve or cancel a modification,
create a repayment plan or forbearance, cancel one. Collectors and managers; approving and cancelling a plan are
for managers (the services check it too). A refused action re-renders the loan's page with the reason: 400 for
bad input, 409 when the plan's state does not allow it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.generic import TemplateView

from lending.core import roles
from servicing.forms.plans import ForbearanceForm, ModificationForm, NoteForm, RepaymentPlanForm
from servicing.models import Forbearance, LoanAccount, LoanModification, RepaymentPlan
from servicing.selectors import plans as plan_selectors
from servicing.services import modification as modification_services
from servicing.services import plans as plan_services
from servicing.services.plans import PlanError
from servicing.views.collections import LoanCollectionsView
from servicing.views.portal import BorrowerLoanMixin


class _PlanActionView(LoanCollectionsView):
    """POST one plan form: success redirects to the loan's page, a refusal re-renders it (400 or 409)."""

    http_method_names = ["post"]
    form_name = ""
    form_class: type = NoteForm

    def target(self):
        return get_object_or_404(LoanAccount, pk=self.kwargs["pk"])

    def loan_id(self, target) -> int:
        return target.pk

    def post(self, request, *args, **kwargs):
        target = self.target()
        self.kwargs["pk"] = self.loan_id(target)  # the page re-rendered is the loan's
        form = self.form_class(request.POST)
        status = 400
        if form.is_valid():
            try:
                done = self.act(target, form.cleaned_data)
            except PlanError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, str(exc))
                else:
                    form.add_error(None, str(exc))
                status = 403 if exc.forbidden else 409 if exc.conflict else 400
                if not self.form_name:
                    return self.page_context(status=status, plan_error=str(exc))
            else:
                messages.success(request, done)
                return redirect(reverse("collections:loan", args=[self.kwargs["pk"]]))
        forms = {self.form_name: form} if self.form_name else {"plan_error": "; ".join(_errors(form))}
        return self.page_context(status=status, **forms)

    def act(self, target, data: dict) -> str:
        raise NotImplementedError


def _errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


class ModificationProposeView(_PlanActionView):
    form_name = "modification_form"
    form_class = ModificationForm

    def act(self, loan, data):
        proposal = modification_services.modification_propose(
            actor=self.request.user,
            loan=loan,
            new_rate=data["new_rate"],
            term_periods=data["term_periods"],
            maturity_date=data["maturity_date"],
            note=data["note"],
        )
        return f"Modification proposed: {proposal.new_payment:,} principal and interest; a manager approves it."


class _ModificationView(_PlanActionView):
    def target(self):
        return get_object_or_404(LoanModification.objects.select_related("loan"), pk=self.kwargs["pk"])

    def loan_id(self, target) -> int:
        return target.loan_id


class ModificationApproveView(_ModificationView):
    allowed_roles = (roles.MANAGER,)

    def act(self, modification, data):
        approved = modification_services.modification_approve(actor=self.request.user, modification=modification)
        return (
            f"Modification approved: trial payments of ${approved.trial_payment:,} due "
            f"{approved.trial_due_1:%b %d}, {approved.trial_due_2:%b %d} and {approved.trial_due_3:%b %d, %Y}."
        )


class ModificationCancelView(_ModificationView):
    def act(self, modification, data):
        modification_services.modification_cancel(
            actor=self.request.user, modification=modification, note=data.get("note", "")
        )
        return "Modification proposal cancelled."


class RepaymentPlanCreateView(_PlanActionView):
    form_name = "repayment_form"
    form_class = RepaymentPlanForm

    def act(self, loan, data):
        plan = plan_services.repayment_plan_create(actor=self.request.user, loan=loan, months=data["months"])
        return f"Repayment plan: ${plan.arrears:,} over {plan.months} months."


class ForbearanceCreateView(_PlanActionView):
    form_name = "forbearance_form"
    form_class = ForbearanceForm

    def act(self, loan, data):
        forbearance = plan_services.forbearance_create(
            actor=self.request.user, loan=loan, months=data["months"], reduced_payment=data["reduced_payment"]
        )
        return f"Forbearance: {forbearance.months} months at ${forbearance.reduced_payment:,}."


class _PlanCancelView(_PlanActionView):
    allowed_roles = (roles.MANAGER,)
    model: type = RepaymentPlan

    def target(self):
        return get_object_or_404(self.model.objects.select_related("loan"), pk=self.kwargs["pk"])

    def loan_id(self, target) -> int:
        return target.loan_id

    def act(self, plan, data):
        plan_services.plan_cancel(actor=self.request.user, plan=plan, note=data.get("note", ""))
        return "Plan cancelled."


class RepaymentPlanCancelView(_PlanCancelView):
    model = RepaymentPlan


class ForbearanceCancelView(_PlanCancelView):
    model = Forbearance


# Added to servicing.urls.collections (namespace "collections").
urlpatterns = [
    path("loans/<int:pk>/modifications/", ModificationProposeView.as_view(), name="modification-propose"),
    path("modifications/<int:pk>/approve/", ModificationApproveView.as_view(), name="modification-approve"),
    path("modifications/<int:pk>/cancel/", ModificationCancelView.as_view(), name="modification-cancel"),
    path("loans/<int:pk>/repayment-plans/", RepaymentPlanCreateView.as_view(), name="repayment-plan-create"),
    path("repayment-plans/<int:pk>/cancel/", RepaymentPlanCancelView.as_view(), name="repayment-plan-cancel"),
    path("loans/<int:pk>/forbearances/", ForbearanceCreateView.as_view(), name="forbearance-create"),
    path("forbearances/<int:pk>/cancel/", ForbearanceCancelView.as_view(), name="forbearance-cancel"),
]


class PortalPlansView(BorrowerLoanMixin, TemplateView):
    """The borrower's plans (modifications with their trial and agreement, repayment plans, forbearances) and
    promises to pay on one of their loans; another borrower's loan is a 404 (``BorrowerLoanMixin``)."""

    template_name = "servicing/portal/plans.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = self.get_loan()
        context.update(
            loan=loan, plans=plan_selectors.loan_plans(loan.pk), promises=plan_selectors.borrower_promises(loan.pk)
        )
        return context
