"""Staff views of closing and funding: the workspace panel, scheduling, the closing package, the signing, funding.
Thin: forms validate, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin
from origination import selectors, workflow
from origination.forms.closing import ClosingScheduleForm, ClosingSigningForm, FundingForm
from origination.models import ClosingDocument
from origination.selectors import closing as selectors_closing
from origination.services import closing
from origination.services.workflow import TransitionBlocked
from origination.views.staff import OriginationStaffMixin


class CloserRequiredMixin(RoleRequiredMixin):
    allowed_roles = closing.CLOSING_ROLES


def _signing_date_to_offer(application):
    """The signing is recorded on the scheduled closing date once it has come (the service refuses any other
    date, and a future one): offer that, whatever an earlier signing said, or nothing yet."""
    closing_on = application.closing_date
    return closing_on if closing_on is not None and closing_on <= timezone.localdate() else None


def panel_context(request, application, **forms_by_name) -> dict:
    is_closer = roles.has_role(request.user, *closing.CLOSING_ROLES)
    funding = selectors_closing.funding_for(application)
    signature = selectors_closing.signature_for(application)
    context = {
        "application": application,
        "documents": selectors_closing.closing_documents_for(application),
        "funding": funding,
        "signature": signature,
        "is_closer": is_closer,
        "can_schedule": is_closer and application.status in closing.SCHEDULE_STATUSES,
        "can_generate": is_closer and application.status in closing.DOCUMENT_STATUSES,
        "can_sign": is_closer and application.status in closing.SIGNING_STATUSES,
        "can_fund": is_closer and application.status == "closed" and funding is None,
        "schedule_form": ClosingScheduleForm(
            prefix="schedule",
            initial={"closing_date": application.closing_date, "first_payment_date": application.first_payment_date},
        ),
        "signing_form": ClosingSigningForm(
            prefix="signing",
            initial={
                "signed_on": _signing_date_to_offer(application),
                "location": signature.location if signature else "",
                "notary": signature.notary if signature else "",
                "notes": signature.notes if signature else "",
            },
        ),
        "fund_form": FundingForm(prefix="fund", initial={"funded_on": workflow.earliest_funding_date(application)}),
    }
    context.update(forms_by_name)
    return context


def _error_page(request, application, status: int, message: str | None = None, **forms_by_name):
    if message:
        messages.error(request, message)
    context = panel_context(request, application, **forms_by_name)
    return render(request, "origination/closing/page.html", context, status=status)


class ClosingPanelView(OriginationStaffMixin, TemplateView):
    """The closing and funding panel of the application workspace (an htmx partial)."""

    template_name = "origination/closing/panel.html"

    def get_context_data(self, **kwargs):
        application = selectors.application_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **panel_context(self.request, application)}


class ClosingScheduleView(CloserRequiredMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = ClosingScheduleForm(request.POST, prefix="schedule")
        if not form.is_valid():
            return _error_page(request, application, 400, schedule_form=form)
        try:
            closing.closing_schedule(actor=request.user, application=application, **form.cleaned_data)
        except closing.ClosingError as exc:
            return _error_page(request, application, 409, str(exc), schedule_form=form)
        messages.success(request, f"Closing scheduled for {form.cleaned_data['closing_date']}.")
        return redirect("origination:application-detail", pk=pk)


class ClosingDocumentsGenerateView(CloserRequiredMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        try:
            documents = closing.closing_documents_generate(actor=request.user, application=application)
        except closing.ClosingError as exc:
            return _error_page(request, application, 409, str(exc))
        messages.success(request, f"Closing package generated: {len(documents)} documents.")
        return redirect("origination:application-detail", pk=pk)


class ClosingSigningRecordView(CloserRequiredMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = ClosingSigningForm(request.POST, prefix="signing")
        if not form.is_valid():
            return _error_page(request, application, 400, signing_form=form)
        try:
            closing.closing_signing_record(actor=request.user, application=application, **form.cleaned_data)
        except closing.ClosingError as exc:
            return _error_page(request, application, 409, str(exc), signing_form=form)
        messages.success(request, f"Signing recorded ({form.cleaned_data['signed_on']}).")
        return redirect("origination:application-detail", pk=pk)


class LoanFundView(CloserRequiredMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = FundingForm(request.POST, prefix="fund")
        if not form.is_valid():
            return _error_page(request, application, 400, fund_form=form)
        try:
            funding = closing.loan_fund(actor=request.user, application=application, **form.cleaned_data)
        except TransitionBlocked as exc:
            return _error_page(request, application, 409, exc.explained(), fund_form=form)
        except closing.ClosingError as exc:
            return _error_page(request, application, 409, str(exc), fund_form=form)
        messages.success(
            request,
            f"Funded: ${funding.disbursed_amount:,} disbursed by {funding.method_in_text} "
            f"(reference {funding.wire_reference}).",
        )
        return redirect("origination:application-detail", pk=pk)


class ClosingDocumentDownloadView(OriginationStaffMixin, View):
    """Stream a closing document to staff who may see the application."""

    def get(self, request, pk):
        document = get_object_or_404(ClosingDocument.objects.only("id", "application_id", "kind", "file"), pk=pk)
        application = selectors.application_for_staff(user=request.user, pk=document.application_id)
        if not document.file:
            raise Http404("This document has no file")
        name = f"{application.number}-{document.kind.replace('_', '-')}-{document.pk}.pdf"
        return FileResponse(document.file.open("rb"), content_type="application/pdf", filename=name)
