"""Servicer screens for what borrowers ask for in the portal: ACH payments (settled by the nightly ACH step, or
here by hand; the NACHA file of a selection), autopay enrollments (read-only, with why one is suspended) and the
drafts autopay did not make. Servicers and managers only; bank numbers are never shown (last four digits only)."""

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.formats import date_format

from lending.core import roles
from lending.core.admin_money import MoneyAdminMixin
from lending.core.templatetags.money import format_money
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import AchFile, AutopayEnrollment, AutopaySkippedDraft, PendingPayment
from servicing.selectors.ach_file import payment_settlement_date
from servicing.services import ach, ach_files

SERVICER_ROLES = (roles.SERVICER, roles.MANAGER)
ACCOUNT_FIELDS = ("account_holder", "account_type", "account_last4")


def ach_file_download(made: AchFile) -> HttpResponse:
    """The file as kept when it was made, as a download."""
    response = HttpResponse(made.content, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="{made.download_name}"'
    return response


class ServicerOnlyReadOnly(MoneyAdminMixin):
    """Visible to servicers and managers (the role, not only is_staff); nothing is added, edited or deleted here:
    changes go through the ACH services."""

    def _is_servicer(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and roles.has_role(request.user, *SERVICER_ROLES)

    def has_module_permission(self, request):
        return self._is_servicer(request)

    def has_view_permission(self, request, obj=None):
        return self._is_servicer(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PendingPayment)
class PendingPaymentAdmin(LoanRecordSearchMixin, ServicerOnlyReadOnly, admin.ModelAdmin):
    exact_search_fields = ("idempotency_key",)
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = (
        "id",
        "loan",
        "amount",
        "scheduled_date",
        "directive",
        "status",
        "account_last4",
        "created_by",
        "created_at",
        "transaction",
        "settled_on",
        "return_code",
        "sent_in",
        "processor_label",
    )
    # Each served by an index, newest first: millions of drafts (a sandbox flag or directive filter would read
    # them all to find a rare value; both are columns of the list).
    list_filter = ("status", "return_code", "scheduled_date")
    list_select_related = ("loan", "created_by", "transaction")
    show_full_result_count = False
    fields = (
        "loan",
        "amount",
        "scheduled_date",
        "directive",
        "status",
        *ACCOUNT_FIELDS,
        "idempotency_key",
        "created_by",
        "created_at",
        "transaction",
        "settled_on",
        "status_changed_by",
        "status_changed_at",
        "return_reason",
        "enrollment",
        "installment",
        "processor_label",
        "trace_number",
        "ach_file",
        "return_code",
        "returned_on",
        "return_fee_entry",
    )
    readonly_fields = fields
    actions = ("settle_selected", "nacha_file")

    @admin.display(description="Sent in", ordering="ach_file")
    def sent_in(self, obj) -> str:
        return f"ACH file {obj.ach_file_id}" if obj.ach_file_id else "-"

    @admin.display(description="Processor")
    def processor_label(self, obj) -> str:
        if not obj.processor:
            return "-"
        return f"{obj.processor} (SANDBOX: no money moved)" if obj.is_sandbox else obj.processor

    def get_queryset(self, request):
        return super().get_queryset(request).defer("routing_number", "account_number")

    def has_settle_permission(self, request) -> bool:
        return self._is_servicer(request)

    @admin.action(description="NACHA file of the selected payments (one settlement date)", permissions=("settle",))
    def nacha_file(self, request, queryset):
        """Make, record and download the bank file of the selection, effective on its settlement date. A debit
        goes in one file only; a file already made is downloaded again from ACH files."""
        payments = list(queryset.order_by("pk"))
        days = {payment_settlement_date(p) for p in payments}
        if len(days) != 1:
            self.message_user(
                request,
                f"Select payments of one settlement date (the selection settles on {len(days)} different days).",
                messages.ERROR,
            )
            return None
        try:
            made = ach_files.ach_file_create(
                settlement_date=days.pop(), actor=request.user, payment_ids=[p.pk for p in payments]
            )
        except ach.AchError as exc:
            self.message_user(request, f"No NACHA file was made: {exc.message}.", messages.ERROR)
            return None
        return ach_file_download(made)

    @admin.action(description="Settle selected (post them as received today)", permissions=("settle",))
    def settle_selected(self, request, queryset):
        """Post each selected payment; one message per payment. A settled one is reported, not posted again."""
        today = ach._today()
        for pending in queryset.select_related("loan").order_by("pk"):
            was_settled = pending.status == PendingPayment.Status.SETTLED
            try:
                txn = ach.ach_payment_settle(pending=pending, actor=request.user, settled_on=today)
            except ach.AchError as exc:
                self.message_user(
                    request, f"ACH {pending.pk} ({pending.loan}): not settled: {exc.message}", messages.ERROR
                )
                continue
            if was_settled:
                self.message_user(
                    request, f"ACH {pending.pk} ({pending.loan}): already settled (transaction {txn.pk})", messages.INFO
                )
            else:
                self.message_user(
                    request,
                    f"ACH {pending.pk} ({pending.loan}): settled, {format_money(txn.amount)} posted "
                    f"as transaction {txn.pk}",
                    messages.SUCCESS,
                )


@admin.register(AchFile)
class AchFileAdmin(ServicerOnlyReadOnly, admin.ModelAdmin):
    """The NACHA files made, as sent: each downloads again byte for byte."""

    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = (
        "id",
        "created_on",
        "file_id_modifier",
        "settlement_date",
        "entry_count",
        "total",
        "is_sandbox",
        "created_by",
        "created_at",
    )
    list_filter = ("settlement_date",)
    list_select_related = ("created_by",)
    fields = (
        "settlement_date",
        "created_on",
        "file_id_modifier",
        "entry_count",
        "total",
        "is_sandbox",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    actions = ("download_again",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_settle_permission(self, request) -> bool:
        return self._is_servicer(request)

    @admin.action(description="Download the selected file again (as sent)", permissions=("settle",))
    def download_again(self, request, queryset):
        files = list(AchFile.objects.filter(pk__in=queryset.values("pk"))[:2])
        if len(files) != 1:
            self.message_user(request, "Select one file to download.", messages.ERROR)
            return None
        return ach_file_download(files[0])


@admin.register(AutopayEnrollment)
class AutopayEnrollmentAdmin(LoanRecordSearchMixin, ServicerOnlyReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "loan",
        "state",
        "account_last4",
        "draft_days_before",
        "extra_principal",
        "max_draft_amount",
        "enrolled_by",
        "enrolled_at",
        "suspension_reason",
        "cancelled_at",
    )
    list_filter = ("active", ("suspended_on", admin.EmptyFieldListFilter))
    list_select_related = ("loan", "enrolled_by")
    show_full_result_count = False
    fields = (
        "loan",
        "active",
        *ACCOUNT_FIELDS,
        "draft_days_before",
        "extra_principal",
        "max_draft_amount",
        "enrolled_by",
        "enrolled_at",
        "suspended_on",
        "suspension_reason",
        "cancelled_by",
        "cancelled_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("routing_number", "account_number")

    @admin.display(description="State")
    def state(self, obj) -> str:
        if not obj.active:
            return "Cancelled"
        return f"Suspended since {date_format(obj.suspended_on, 'M j, Y')}" if obj.suspended else "Active"


@admin.register(AutopaySkippedDraft)
class AutopaySkippedDraftAdmin(LoanRecordSearchMixin, ServicerOnlyReadOnly, admin.ModelAdmin):
    """Drafts the nightly ACH step did not make (an installment above the borrower's ceiling), and why."""

    loan_path = "enrollment__loan"
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = ("id", "loan", "installment_number", "draft_date", "amount_owed", "reason", "created_at")
    list_select_related = ("enrollment__loan", "installment")
    list_filter = ("draft_date",)
    show_full_result_count = False
    fields = ("enrollment", "installment", "draft_date", "amount_owed", "reason", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("enrollment__routing_number", "enrollment__account_number")

    @admin.display(description="Loan")
    def loan(self, obj) -> str:
        return str(obj.enrollment.loan)

    @admin.display(description="Installment")
    def installment_number(self, obj) -> int:
        return int(obj.installment.number)
