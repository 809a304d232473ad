"""Payoff quotes and payoffs in the admin: read-only lists for servicers and managers (the role is checked, not
only is_staff). Quotes are issued and payoffs posted through the services, from the payoff pages."""

from django.contrib import admin

from lending.core import roles
from lending.core.admin_money import MoneyAdminMixin
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import LoanPayoff, PayoffQuote
from servicing.selectors import payoff as payoff_selectors

ADMIN_PAYOFF_ROLES = (roles.SERVICER, roles.MANAGER)


class PayoffReadOnlyAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """Viewable by servicers and managers, changeable by no one."""

    def has_module_permission(self, request):
        return roles.has_role(request.user, *ADMIN_PAYOFF_ROLES)

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, *ADMIN_PAYOFF_ROLES)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


FIGURES = (
    ("as_of", "good_through", "interest_paid_through", "accrual_days"),
    ("principal", "accrued_interest", "interest_credit", "interest"),
    ("fees", "escrow_advance", "suspense_credit", "total"),
    ("per_diem", "escrow_refund", "interest_refund", "suspense_refund"),
)


@admin.register(PayoffQuote)
class PayoffQuoteAdmin(LoanRecordSearchMixin, PayoffReadOnlyAdmin):
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = ("pk", "loan", "requested_at", "channel", "requested_by", "as_of", "good_through", "total")
    list_filter = ("channel", "requested_at")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("loan", "channel", "requested_by", "requested_at", "loan_version")}),
        ("Figures", {"fields": FIGURES}),
    )
    readonly_fields = ("loan", "channel", "requested_by", "requested_at", "loan_version", *sum(FIGURES, ()))

    def get_queryset(self, request):
        return payoff_selectors.payoff_quotes_admin()


@admin.register(LoanPayoff)
class LoanPayoffAdmin(LoanRecordSearchMixin, PayoffReadOnlyAdmin):
    list_display = ("loan", "as_of", "amount_received", "total", "overage_refund", "escrow_refund", "refund_due_by")
    list_select_related = ("loan",)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("loan", "transaction", "amount_received", "posted_by", "posted_at")}),
        ("Figures", {"fields": FIGURES}),
        ("Refunds", {"fields": ("overage_refund", "refund_due_by", "escrow_refund_entry", "refund_entry")}),
    )
    readonly_fields = (
        "loan",
        "transaction",
        "amount_received",
        "posted_by",
        "posted_at",
        "overage_refund",
        "refund_due_by",
        "escrow_refund_entry",
        "refund_entry",
        *sum(FIGURES, ()),
    )
