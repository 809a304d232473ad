"""Escrow in the admin: servicers and managers add and edit escrow items (a new tax bill, a new premium) through
``escrow_item_save`` (validated, audited); collectors see them. Disbursements and analyses are read-only: the
nightly close writes them."""

from django import forms
from django.contrib import admin

from lending.core import roles
from lending.core.pagination import CappedPaginator
from lending.core.templatetags.money import format_money
from servicing.admin import views as admin_views
from servicing.admin.loans import RoleViewMixin
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import EscrowAnalysis, EscrowDisbursement, EscrowItem
from servicing.services.escrow import ITEM_FIELDS, escrow_item_problems, escrow_item_save


class EscrowItemForm(forms.ModelForm):
    class Meta:
        model = EscrowItem
        fields = ("loan", *ITEM_FIELDS)
        widgets = {"next_due_date": forms.DateInput(attrs={"type": "date"})}

    def clean(self):
        data = super().clean()
        loan = data.get("loan", getattr(self.instance, "loan", None) if self.instance.loan_id else None)
        candidate = EscrowItem(loan=loan, **{field: data.get(field) for field in ITEM_FIELDS})
        for field, message in escrow_item_problems(candidate).items():
            if field not in self.errors:  # the field's own error (missing, not a number) says it already
                self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(EscrowItem)
class EscrowItemAdmin(LoanRecordSearchMixin, admin.ModelAdmin):
    form = EscrowItemForm
    list_display = ("loan", "kind", "description", "payee", "annual", "payments_per_year", "next_due_date")
    list_filter = ("kind",)
    list_select_related = ("loan",)
    raw_id_fields = ("loan",)
    show_full_result_count = False
    paginator = CappedPaginator  # 300,000 items (100,000 of one kind): counted no further than the last page shown
    fields = ("loan", *ITEM_FIELDS)

    @admin.display(description="Annual amount", ordering="annual_amount")
    def annual(self, obj):
        return format_money(obj.annual_amount)

    def get_readonly_fields(self, request, obj=None):
        return ("loan",) if obj is not None else ()

    def has_module_permission(self, request):
        return roles.has_role(request.user, *admin_views.VIEW_ROLES)

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, *admin_views.VIEW_ROLES)

    def has_add_permission(self, request):
        return admin_views.may_post(request.user)

    def has_change_permission(self, request, obj=None):
        return admin_views.may_post(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # paid items keep their history; a bill that ends is simply not renewed

    def save_model(self, request, obj, form, change):
        escrow_item_save(actor=request.user, item=obj)


@admin.register(EscrowDisbursement)
class EscrowDisbursementAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    ordering = ("-due_date", "-id")  # latest due first, by its index (the date filter reads the same index)
    list_display = ("loan", "item", "due_date", "paid_on", "payment_number", "payee", "amount", "advanced")
    list_select_related = ("loan", "item")
    list_filter = ("due_date",)
    show_full_result_count = False
    fields = (
        ("loan", "item"),
        ("due_date", "paid_on", "payment_number"),
        "payee",
        ("amount", "advanced"),
        "journal_entry",
    )
    readonly_fields = ("loan", "item", "due_date", "paid_on", "payment_number", "payee", "journal_entry")


@admin.register(EscrowAnalysis)
class EscrowAnalysisAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = ("loan", "analysis_date", "kind", "action", "previous_monthly_payment", "new_monthly_payment")
    list_filter = ("kind", "action", "analysis_date")
    list_select_related = ("loan",)
    show_full_result_count = False
    fields = (
        ("loan", "analysis_date", "run_on"),
        ("year_start", "effective_installment"),
        ("balance_on_analysis_date", "current_balance", "projected_disbursements"),
        ("cushion", "target_balance"),
        ("surplus", "shortage", "deficiency"),
        ("kind", "action", "spread_months"),
        ("previous_monthly_payment", "base_monthly_payment", "new_monthly_payment"),
        "installments_updated",
        "disbursement_detail",
    )
    readonly_fields = (
        "loan",
        "analysis_date",
        "run_on",
        "year_start",
        "effective_installment",
        "kind",
        "action",
        "spread_months",
        "installments_updated",
        "disbursement_detail",
    )
