"""What the close of business recorded, read-only in the admin: a loan's interest accrual rows (how its accrued
interest is made up, each row linked to its journal entry) and its bills by component."""

from django.contrib import admin

from servicing.admin.loans import RoleViewMixin
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import BillingRecord, InterestAccrual


@admin.register(InterestAccrual)
class InterestAccrualAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    list_display = ("loan", "accrual_date", "installment", "method", "days", "basis", "amount", "period_to_date")
    fields = (*list_display, "journal_entry")
    readonly_fields = fields
    list_select_related = ("loan", "installment")
    show_full_result_count = False
    ordering = ("-id",)  # the newest rows first, by the primary key: no sort of the table by date


@admin.register(BillingRecord)
class BillingRecordAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    list_display = ("loan", "due_date", "billed_on", "principal", "interest", "escrow", "fees", "past_due", "total")
    fields = (*list_display, "installment")
    readonly_fields = fields
    list_select_related = ("loan",)
    show_full_result_count = False
    ordering = ("-id",)  # the newest bills first, by the primary key: no sort of the table by date
