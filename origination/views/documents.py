"""Document pages: the staff checklist panel (upload, request, verify, reject, download) and the borrower's panel.

Files are streamed by permission-checked views (FileResponse), never linked through MEDIA_URL.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from lending.core.permissions import BorrowerRequiredMixin, RoleRequiredMixin
from origination import selectors
from origination.models import Document, DocumentType
from origination.selectors import documents as document_reads
from origination.services import documents as service
from origination.views.staff import OriginationStaffMixin

FILE_ACCEPT = ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.heic,.heif,application/pdf,image/*"


def _file_widget() -> forms.FileInput:
    return forms.FileInput(attrs={"accept": FILE_ACCEPT})


class StaffUploadForm(forms.Form):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.order_by("name"), label="Document")
    file = forms.FileField(widget=_file_widget())


class RequestDocumentForm(forms.Form):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), label="Ask for another document")

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = document_reads.document_types_requestable(application=application)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000, strip=True)


class BorrowerUploadForm(forms.Form):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), label="Document")
    file = forms.FileField(widget=_file_widget())

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = DocumentType.objects.filter(
            borrower_provides=True,
            document__application=application,
            document__status__in=[Document.Status.REQUESTED, Document.Status.REJECTED, Document.Status.UPLOADED],
        ).order_by("name")


def _limits() -> dict:
    return {"max_bytes": settings.LENDING_DOCUMENT_MAX_BYTES, "accepted": service.ACCEPTED_LABEL}


# --- staff ------------------------------------------------------------------------------------------------


def _staff_context(request, application, *, upload_form=None, request_form=None, error: str = "") -> dict:
    return {
        "application": application,
        "documents": document_reads.documents_for_staff(application=application),
        "can_review": service.can_review_documents(request.user),
        "upload_form": upload_form or StaffUploadForm(),
        "request_form": request_form or RequestDocumentForm(application=application),
        "error": error,
        **_limits(),
    }


def _staff_page(request, application, *, status: int, **kwargs):
    """The panel inside a full page, for a POST that failed: errors shown where the user acted."""
    context = _staff_context(request, application, **kwargs)
    return render(request, "origination/documents/page.html", context, status=status)


class DocumentsPanelView(OriginationStaffMixin, TemplateView):
    template_name = "origination/documents/panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        context.update(_staff_context(self.request, application))
        return context


class DocumentUploadView(OriginationStaffMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = StaffUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return _staff_page(request, application, status=400, upload_form=form)
        document_type = form.cleaned_data["document_type"]
        try:
            version = service.document_upload(
                actor=request.user,
                application=application,
                document_type=document_type,
                uploaded_file=form.cleaned_data["file"],
            )
        except service.UploadRefused as exc:
            form.add_error("file", str(exc))
            return _staff_page(request, application, status=400, upload_form=form)
        except service.DocumentError as exc:  # duplicate, or the application takes no new files
            form.add_error("file", str(exc))
            return _staff_page(request, application, status=409, upload_form=form)
        messages.success(request, f"{document_type}: version {version.number} uploaded.")
        return redirect("origination:application-detail", pk=pk)


class DocumentRequestView(OriginationStaffMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = RequestDocumentForm(request.POST, application=application)
        if not form.is_valid():
            return _staff_page(request, application, status=400, request_form=form)
        document_type = form.cleaned_data["document_type"]
        try:
            service.document_request(actor=request.user, application=application, document_type=document_type)
        except service.DocumentError as exc:
            form.add_error("document_type", str(exc))
            return _staff_page(request, application, status=409, request_form=form)
        messages.success(request, f"{document_type} requested.")
        return redirect("origination:application-detail", pk=pk)


class DocumentReviewerMixin(RoleRequiredMixin):
    allowed_roles = service.REVIEW_ROLES


class DocumentVerifyView(DocumentReviewerMixin, View):
    def post(self, request, pk, document_pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        document = document_reads.document_for_application(application=application, pk=document_pk)
        try:
            document = service.document_verify(actor=request.user, document=document)
        except service.DocumentError as exc:
            return _staff_page(request, application, status=409, error=str(exc))
        cleared = len(document.cleared_conditions)
        note = f" {cleared} condition{'s' if cleared != 1 else ''} cleared." if cleared else ""
        messages.success(request, f"{document.document_type} verified.{note}")
        return redirect("origination:application-detail", pk=pk)


class DocumentRejectView(DocumentReviewerMixin, View):
    def post(self, request, pk, document_pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        document = document_reads.document_for_application(application=application, pk=document_pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            return _staff_page(
                request, application, status=400, error=f"Rejecting {document.document_type} needs a reason."
            )
        try:
            document = service.document_reject(
                actor=request.user, document=document, reason=form.cleaned_data["reason"]
            )
        except service.DocumentError as exc:
            return _staff_page(request, application, status=409, error=str(exc))
        messages.success(request, f"{document.document_type} rejected; the borrower sees why.")
        return redirect("origination:application-detail", pk=pk)


def _file_response(version) -> FileResponse:
    try:
        handle = version.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    # Always a download with the sniffed type: the browser never renders an uploaded file inline.
    response = FileResponse(
        handle, as_attachment=True, filename=version.original_name, content_type=version.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentDownloadView(OriginationStaffMixin, View):
    def get(self, request, pk, version_pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        return _file_response(document_reads.document_version_for_staff(application=application, pk=version_pk))


# --- borrower ------------------------------------------------------------------------------------------


def _borrower_context(request, application, *, upload_form=None) -> dict:
    documents = document_reads.documents_for_borrower(application=application, user=request.user)
    return {
        "application": application,
        "documents": documents,
        "needed": document_reads.documents_still_needed(documents),
        "can_upload": any(d.status != Document.Status.VERIFIED for d in documents),
        "adverse_action_notice": document_reads.adverse_action_notice_for(application=application),
        "upload_form": upload_form or BorrowerUploadForm(application=application),
        **_limits(),
    }


class BorrowerDocumentsPanelView(BorrowerRequiredMixin, TemplateView):
    template_name = "origination/documents/portal_panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        context.update(_borrower_context(self.request, application))
        return context


class BorrowerDocumentUploadView(BorrowerRequiredMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_borrower(user=request.user, pk=pk)
        form = BorrowerUploadForm(request.POST, request.FILES, application=application)
        status = 400
        if form.is_valid():
            document_type = form.cleaned_data["document_type"]
            try:
                service.document_upload(
                    actor=request.user,
                    application=application,
                    document_type=document_type,
                    uploaded_file=form.cleaned_data["file"],
                )
            except service.UploadRefused as exc:
                form.add_error("file", str(exc))
            except service.DocumentError as exc:
                form.add_error("file", str(exc))
                status = 409
            else:
                messages.success(request, f"Thank you: we received your {document_type}.")
                return redirect("origination_portal:application", pk=pk)
        context = _borrower_context(request, application, upload_form=form)
        return render(request, "origination/documents/portal_page.html", context, status=status)


class BorrowerAdverseActionDownloadView(BorrowerRequiredMixin, View):
    """The borrower's own adverse-action notice (another borrower's application, or none: 404)."""

    def get(self, request, pk):
        application = selectors.application_for_borrower(user=request.user, pk=pk)
        notice = document_reads.adverse_action_notice_for(application=application)
        if notice is None:
            raise Http404("No adverse-action notice")
        return FileResponse(
            notice.file.open("rb"),
            content_type="application/pdf",
            filename=f"adverse-action-{application.number}.pdf",
        )


class BorrowerDocumentDownloadView(BorrowerRequiredMixin, View):
    def get(self, request, pk, version_pk):
        application = selectors.application_for_borrower(user=request.user, pk=pk)
        version = document_reads.document_version_for_borrower(
            application=application, user=request.user, pk=version_pk
        )
        return _file_response(version)
