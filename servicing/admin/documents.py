"""Borrower documents and print batches in the admin, read-only (a stored document never changes).

"Resend" (servicers and managers) delivers the selected documents again (``document_resend``: email again, or back
in the queue of the next print batch), audited. A print batch's combined PDF and manifest download from its row."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from lending.core import roles
from servicing.admin import views as admin_views
from servicing.admin.loans import RoleViewMixin
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import BorrowerDocument, PrintBatch
from servicing.services.documents import DocumentError, document_resend


@admin.action(description="Resend the selected documents")
def resend_documents(model_admin, request, queryset):
    """Each document on its own: a refusal (no email address) is reported and the others go on."""
    if not admin_views.may_post(request.user):
        raise PermissionDenied("Only servicers and managers resend documents.")
    done = 0
    for document in queryset.select_related("loan").order_by("pk"):
        try:
            document_resend(document=document, actor=request.user)
        except DocumentError as exc:
            model_admin.message_user(request, f"{document}: {exc}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, f"{done} document{'' if done == 1 else 's'} resent.", messages.SUCCESS)


@admin.register(BorrowerDocument)
class BorrowerDocumentAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = ("id", "loan", "kind", "title", "document_date", "version", "delivery", "delivered_at", "download")
    list_filter = ("kind", "delivery")  # each served by an index (kind or delivery, id): millions of statements
    list_select_related = ("loan",)
    show_full_result_count = False
    actions = [resend_documents]
    fields = (
        ("loan", "kind", "key", "version"),
        ("title", "document_date"),
        ("sha256", "pages"),
        ("created_at", "created_by"),
        ("delivery", "delivered_at", "print_batch"),
        "download",
    )
    readonly_fields = (
        "loan",
        "kind",
        "key",
        "version",
        "title",
        "document_date",
        "sha256",
        "pages",
        "created_at",
        "created_by",
        "delivery",
        "delivered_at",
        "print_batch",
        "download",
    )

    @admin.display(description="File")
    def download(self, obj: BorrowerDocument) -> str:
        return format_html('<a href="{}">PDF</a>', reverse("servicing:document-download", args=[obj.pk]))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not roles.has_role(request.user, *admin_views.POSTING_ROLES):
            actions.pop("resend_documents", None)
        return actions


@admin.register(PrintBatch)
class PrintBatchAdmin(RoleViewMixin, admin.ModelAdmin):
    list_display = ("business_date", "document_count", "page_count", "created_at", "combined_pdf_link", "manifest_link")
    list_select_related = ("created_by",)
    show_full_result_count = False
    fields = (
        ("business_date", "document_count", "page_count"),
        ("created_at", "created_by"),
        ("combined_pdf_link", "manifest_link"),
    )
    readonly_fields = (
        "business_date",
        "document_count",
        "page_count",
        "created_at",
        "created_by",
        "combined_pdf_link",
        "manifest_link",
    )

    @admin.display(description="Combined PDF")
    def combined_pdf_link(self, obj: PrintBatch) -> str:
        url = reverse("admin:servicing_printbatch_file", args=[obj.pk, "pdf"])
        return format_html('<a href="{}">print-{}.pdf</a>', url, obj.business_date)

    @admin.display(description="Manifest")
    def manifest_link(self, obj: PrintBatch) -> str:
        url = reverse("admin:servicing_printbatch_file", args=[obj.pk, "csv"])
        return format_html('<a href="{}">manifest-{}.csv</a>', url, obj.business_date)

    def get_urls(self):
        file_view = self.admin_site.admin_view(self.file_view)
        return [path("<int:pk>/file/<str:part>/", file_view, name="servicing_printbatch_file"), *super().get_urls()]

    def file_view(self, request, pk: int, part: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(PrintBatch, pk=pk)
        stored = {"pdf": batch.combined_pdf, "csv": batch.manifest}.get(part)
        if not stored:
            raise Http404("No such file")
        content_type = "application/pdf" if part == "pdf" else "text/csv"
        name = f"{'print' if part == 'pdf' else 'manifest'}-{batch.business_date}.{part}"
        response = FileResponse(stored.open("rb"), as_attachment=True, filename=name, content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response
