"""What the close of business recorded, read-only in the admin: a loan's interest accrual rows (how its accrued
interest is made up, each row linked to its journal entry) and its bills by component."""

from django.contrib import admin

from servicing.admin.loans import RoleViewMixin
from servicing.models import BillingRecord, InterestAccrual


@admin.register(InterestAccrual)
class InterestAccrualAdmin(RoleViewMixin, admin.ModelAdmin):
    list_display = ("loan", "accrual_date", "installment", "method", "days", "basis", "amount", "period_to_date")
    fields = (*list_display, "journal_entry")
    readonly_fields = fields
    search_fields = ("loan__loan_number",)
    list_select_related = ("loan", "installment")
    show_full_result_count = False
    ordering = ("-accrual_date", "-id")


@admin.register(BillingRecord)
class BillingRecordAdmin(RoleViewMixin, admin.ModelAdmin):
    list_display = ("loan", "due_date", "billed_on", "principal", "interest", "escrow", "fees", "past_due", "total")
    fields = (*list_display, "installment")
    readonly_fields = fields
    search_fields = ("loan__loan_number",)
    list_select_related = ("loan",)
    show_full_result_count = False
    ordering = ("-due_date", "-id")
