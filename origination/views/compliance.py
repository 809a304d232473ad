"""Staff views of compliance and disclosures: the workspace panel, running checks, issuing disclosures,
recording receipt, and streaming disclosure PDFs. Thin: forms validate, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.permissions import BorrowerRequiredMixin
from origination import selectors
from origination.forms.compliance import DisclosureIssueForm, DisclosureReceiptForm
from origination.models import Disclosure
from origination.selectors import compliance as selectors_compliance
from origination.services import compliance, disclosures
from origination.views.staff import OriginationStaffMixin


def _may_issue(user, application, kind: str) -> bool:
    return (
        kind in disclosures.kinds_for(application)
        and roles.has_role(user, *disclosures.ISSUE_ROLES[kind])
        and application.status in disclosures.ISSUE_STATUSES[kind]
    )


def panel_context(request, application, **forms_by_name) -> dict:
    """Everything the panel shows: each check with its result, the disclosures and the forms for this user."""
    user = request.user
    context = {
        "application": application,
        "checks": selectors_compliance.compliance_results(application),
        "disclosures": selectors_compliance.disclosures_for(application),
        "can_issue_le": _may_issue(user, application, disclosures.LOAN_ESTIMATE),
        "can_issue_cd": _may_issue(user, application, disclosures.CLOSING_DISCLOSURE),
        "can_issue_til": _may_issue(user, application, disclosures.TRUTH_IN_LENDING),
        "disclosure_rule": application.product.get_disclosure_rule_display(),
        "can_record_receipt": roles.has_role(user, *disclosures.RECEIPT_ROLES),
        "le_form": DisclosureIssueForm(prefix="le", initial={"delivery": Disclosure.Delivery.MAIL}),
        "cd_form": DisclosureIssueForm(prefix="cd", initial={"delivery": Disclosure.Delivery.IN_PERSON}),
        "til_form": DisclosureIssueForm(prefix="til", initial={"delivery": Disclosure.Delivery.IN_PERSON}),
        "receipt_form": None,
        "receipt_for": None,
        "thresholds_year": compliance.REG_Z_THRESHOLDS["year"],
    }
    context.update(forms_by_name)
    return context


def _error_page(request, application, status: int, message: str | None = None, **forms_by_name):
    """The panel on a page of its own, with the bound form's errors or the refusal (4xx)."""
    if message:
        messages.error(request, message)
    context = panel_context(request, application, **forms_by_name)
    return render(request, "origination/compliance/page.html", context, status=status)


class CompliancePanelView(OriginationStaffMixin, TemplateView):
    """The compliance and disclosures panel of the application workspace (an htmx partial)."""

    template_name = "origination/compliance/panel.html"

    def get_context_data(self, **kwargs):
        application = selectors.application_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **panel_context(self.request, application)}


class ComplianceRunView(OriginationStaffMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        results = compliance.compliance_run(application=application, actor=request.user)
        failing = [row.code for row in results if row.result == "fail"]
        if failing:
            messages.warning(request, f"Compliance checks run: failing {', '.join(failing)}.")
        else:
            messages.success(request, "Compliance checks run: nothing fails.")
        return redirect("origination:application-detail", pk=pk)


class DisclosureIssueView(OriginationStaffMixin, View):
    PREFIXES = {
        disclosures.LOAN_ESTIMATE: "le",
        disclosures.CLOSING_DISCLOSURE: "cd",
        disclosures.TRUTH_IN_LENDING: "til",
    }

    def post(self, request, pk, kind):
        if kind not in self.PREFIXES:
            raise Http404("No such disclosure")
        application = selectors.application_for_staff(user=request.user, pk=pk)
        prefix = self.PREFIXES[kind]
        form = DisclosureIssueForm(request.POST, prefix=prefix)
        if not form.is_valid():
            return _error_page(request, application, 400, **{f"{prefix}_form": form})
        try:
            disclosure = disclosures.disclosure_issue(
                actor=request.user, application=application, kind=kind, **form.cleaned_data
            )
        except disclosures.DisclosureError as exc:
            return _error_page(request, application, 409, str(exc), **{f"{prefix}_form": form})
        messages.success(request, f"{disclosure.get_kind_display()} issued: APR {disclosure.apr}%.")
        return redirect("origination:application-detail", pk=pk)


class DisclosureReceiptView(OriginationStaffMixin, View):
    def post(self, request, pk):
        disclosure = get_object_or_404(Disclosure.objects.select_related("application"), pk=pk)
        application = selectors.application_for_staff(user=request.user, pk=disclosure.application_id)
        form = DisclosureReceiptForm(request.POST, prefix=f"receipt-{pk}")
        if not form.is_valid():
            return _error_page(request, application, 400, receipt_form=form, receipt_for=disclosure.pk)
        try:
            disclosures.disclosure_record_receipt(actor=request.user, disclosure=disclosure, **form.cleaned_data)
        except disclosures.DisclosureError as exc:
            return _error_page(request, application, 409, str(exc), receipt_form=form, receipt_for=disclosure.pk)
        messages.success(request, f"Receipt of the {disclosure.get_kind_display()} recorded.")
        return redirect("origination:application-detail", pk=application.pk)


class DisclosureDownloadView(OriginationStaffMixin, View):
    """Stream a disclosure's PDF to staff who may see the application (never a public media URL)."""

    def get(self, request, pk):
        disclosure = get_object_or_404(Disclosure.objects.only("id", "application_id", "kind", "document"), pk=pk)
        application = selectors.application_for_staff(user=request.user, pk=disclosure.application_id)
        if not disclosure.document:
            raise Http404("This disclosure has no document")
        name = f"{application.number}-{disclosure.kind.replace('_', '-')}-{disclosure.pk}.pdf"
        return FileResponse(disclosure.document.open("rb"), content_type="application/pdf", filename=name)


# --- borrower portal -------------------------------------------------------------------------------------


class BorrowerDisclosuresPanelView(BorrowerRequiredMixin, TemplateView):
    """The borrower's disclosures (Loan Estimates and Closing Disclosures, or Truth in Lending disclosures), to read
    and download (an htmx partial)."""

    template_name = "origination/compliance/portal_panel.html"

    def get_context_data(self, **kwargs):
        application = selectors.application_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        return {
            **super().get_context_data(**kwargs),
            "application": application,
            "disclosures": selectors_compliance.disclosures_for(application),
            "disclosure_rule": application.product.disclosure_rule,
        }


class BorrowerDisclosureDownloadView(BorrowerRequiredMixin, View):
    """Stream one of the borrower's own disclosures; anything else is 404."""

    def get(self, request, pk, disclosure_pk):
        application = selectors.application_for_borrower(user=request.user, pk=pk)
        disclosure = get_object_or_404(
            application.disclosures.only("id", "application_id", "kind", "document"), pk=disclosure_pk
        )
        if not disclosure.document:
            raise Http404("This disclosure has no document")
        name = f"{application.number}-{disclosure.kind.replace('_', '-')}-{disclosure.pk}.pdf"
        return FileResponse(disclosure.document.open("rb"), content_type="application/pdf", filename=name)
