"""Servicer screens for what borrowers ask for in the portal: one-time ACH payments (settled here until the
nightly settlement job exists) and autopay enrollments (read-only). Servicers and managers only; bank numbers
are never shown (last four digits only)."""

from django.contrib import admin, messages

from lending.core import roles
from lending.core.admin_money import MoneyAdminMixin
from lending.core.templatetags.money import format_money
from servicing.models import AutopayEnrollment, PendingPayment
from servicing.services import ach

SERVICER_ROLES = (roles.SERVICER, roles.MANAGER)
ACCOUNT_FIELDS = ("account_holder", "account_type", "account_last4")


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
class PendingPaymentAdmin(ServicerOnlyReadOnly, admin.ModelAdmin):
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
    )
    list_filter = ("status", "directive", "scheduled_date")
    search_fields = ("=id", "loan__loan_number", "account_last4")
    list_select_related = ("loan", "created_by", "transaction")
    show_full_result_count = False
    date_hierarchy = "scheduled_date"
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
    )
    readonly_fields = fields
    actions = ("settle_selected",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("routing_number", "account_number")

    def has_settle_permission(self, request) -> bool:
        return self._is_servicer(request)

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


@admin.register(AutopayEnrollment)
class AutopayEnrollmentAdmin(ServicerOnlyReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "loan",
        "active",
        "account_last4",
        "draft_days_before",
        "extra_principal",
        "enrolled_by",
        "enrolled_at",
        "cancelled_at",
    )
    list_filter = ("active",)
    search_fields = ("loan__loan_number", "account_last4")
    list_select_related = ("loan", "enrolled_by")
    show_full_result_count = False
    fields = (
        "loan",
        "active",
        *ACCOUNT_FIELDS,
        "draft_days_before",
        "extra_principal",
        "enrolled_by",
        "enrolled_at",
        "cancelled_by",
        "cancelled_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("routing_number", "account_number")
