"""Borrower documents (statements, escrow statements, notices, 1098s): a loan's list, newest first and paginated,
in the portal (/portal/loans/<pk>/documents/) and for staff (/staff/servicing/loans/<pk>/documents/), and the
download of one document's stored file (/portal/documents/<id>/, /staff/servicing/documents/<id>/). Borrowers
reach only their own loans' documents (404 otherwise); staff with the servicing roles reach every loan's.

Also the borrower's "email me when a payment is received" choice, set from the portal loan page."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView, View

from lending.core.permissions import BorrowerRequiredMixin, RoleRequiredMixin
from servicing import selectors
from servicing.forms.portal import PaymentNoticeForm
from servicing.models import BorrowerDocument
from servicing.selectors import documents as document_selectors
from servicing.services.notices import payment_notice_preference_set
from servicing.views.portal import BorrowerLoanMixin
from servicing.views.staff import SERVICING_ROLES


def display_filename(document: BorrowerDocument) -> str:
    """``<loan number>-<kind>-<date>[-v2].pdf``: what the borrower's browser saves it as."""
    version = f"-v{document.version}" if document.version > 1 else ""
    return f"{document.loan.loan_number}-{document.kind.replace('_', '-')}-{document.document_date}{version}.pdf"


def document_response(document: BorrowerDocument) -> FileResponse:
    """The stored bytes, as they were sent; never cached by the browser or a proxy."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=display_filename(document),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


class PortalLoanDocumentsView(BorrowerLoanMixin, TemplateView):
    template_name = "servicing/portal/documents.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = self.get_loan()
        page = document_selectors.loan_documents_page(loan, self.request.GET.get("page"))
        context.update(loan=loan, page=page, documents=list(page.object_list))
        return context


class PortalDocumentDownloadView(BorrowerRequiredMixin, View):
    def get(self, request, *args, **kwargs):
        return document_response(document_selectors.document_for_borrower(user=request.user, pk=kwargs["pk"]))


class PaymentNoticePreferenceView(BorrowerLoanMixin, View):
    """POST: turn the "payment received" notice on or off for this loan."""

    def post(self, request, *args, **kwargs):
        loan = self.get_loan()
        form = PaymentNoticeForm(request.POST)
        if not form.is_valid():
            return self.refused("The choice was not understood: please try again.", status=400)
        enabled = form.cleaned_data["notify_payment_received"]
        payment_notice_preference_set(loan=loan, enabled=enabled, actor=request.user)
        messages.success(
            request,
            "We will send you a notice for each payment we receive."
            if enabled
            else "We will no longer send you a notice for each payment.",
        )
        return redirect("servicing_portal:loan-detail", pk=loan.pk)


class StaffLoanDocumentsView(RoleRequiredMixin, TemplateView):
    allowed_roles = SERVICING_ROLES
    template_name = "servicing/loan_documents.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan = selectors.loan_for_staff(pk=self.kwargs["pk"])
        page = document_selectors.loan_documents_page(loan, self.request.GET.get("page"))
        context.update(loan=loan, page=page, documents=list(page.object_list))
        return context


class StaffDocumentDownloadView(RoleRequiredMixin, View):
    allowed_roles = SERVICING_ROLES

    def get(self, request, *args, **kwargs):
        return document_response(document_selectors.document_for_staff(pk=kwargs["pk"]))
