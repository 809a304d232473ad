"""Servicer screens in the admin. Loans and the journal are read-only here: every change goes through a service
(posting, reversal, imports), so the admin never edits money. The custom views (post a payment with its live
preview, reverse a payment, the import flow) live in ``servicing.admin.views``; this module routes to them.

Access by role (lending.core.roles), not only by model permission: servicers, collectors and managers may view the
loan and transaction screens; only servicers and managers post, reverse and import.
"""

from functools import partial

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from lending.core import roles
from lending.core.admin_money import MoneyAdminMixin
from lending.core.pagination import CappedPaginator
from lending.core.templatetags.money import format_money
from origination.models import LoanProduct
from servicing.admin import readonly, rows
from servicing.admin import views as admin_views
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import (
    AllocationLine,
    EscrowItem,
    ImportBatch,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LoanAccount,
    LoanTransaction,
)
from servicing.selectors import TRIGRAM, loan_search
from servicing.selectors.imports import loan_transactions_with_allocations
from servicing.services.transfer_boarding import TRANSFER_PRODUCT


class ProductFilter(admin.SimpleListFilter):
    """Loans by product, the choices from the product table (a handful of rows), never a ``SELECT DISTINCT`` over
    every loan on each request (issue 15). Loans boarded by servicing transfer have no product code."""

    title = "product"
    parameter_name = "product_code"
    TRANSFER = "transfer"

    def lookups(self, request, model_admin):
        products = list(LoanProduct.objects.order_by("name").values_list("code", "name"))
        return [*products, (self.TRANSFER, TRANSFER_PRODUCT)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(product_code="" if value == self.TRANSFER else value)


class ReadOnlyMixin(MoneyAdminMixin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoleViewMixin(ReadOnlyMixin):
    """Viewing follows the servicing roles; nothing is added, changed or deleted through the model forms."""

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, *admin_views.VIEW_ROLES)

    def has_module_permission(self, request):
        return roles.has_role(request.user, *admin_views.VIEW_ROLES)


class EscrowItemInline(RoleViewMixin, admin.TabularInline):
    model = EscrowItem
    fields = ("kind", "description", "payee", "annual_amount", "payments_per_year", "next_due_date")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True  # servicers edit an item on its own page (servicing.admin.escrow)


def _allocation_summary(txn: LoanTransaction) -> str:
    """Where the money went, line by line (installment number and bucket): from the prefetched current lines."""
    return format_html_join(
        ", ",
        "{}{} {}",
        (
            (
                f"#{line.installment.number} " if line.installment_id else "",
                line.get_bucket_display().lower(),
                format_money(line.amount),
            )
            for line in txn.current_lines  # type: ignore[attr-defined]  # set by a Prefetch to_attr
        ),
    )


LATEST_TRANSACTIONS = 5


class LatestTransactionsFormSet(BaseInlineFormSet):
    """The loan's latest ``LATEST_TRANSACTIONS`` transactions, oldest of them first: a loan with years of payments
    renders as fast as a new one (60 read-only rows took most of the change page's 466 ms, issue 15). The whole
    history is the staff transactions page, linked from the form."""

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            latest = super().get_queryset().order_by("-effective_date", "-id")[:LATEST_TRANSACTIONS]
            self._queryset = list(latest)[::-1]
        return self._queryset


class LoanTransactionInline(RoleViewMixin, admin.TabularInline):
    """The loan's latest payments and reversals with their allocation (the standing lines), oldest first."""

    model = LoanTransaction
    fk_name = "loan"
    formset = LatestTransactionsFormSet
    fields = ("link", "kind", "effective_date", "amount", "method", "reference", "status", "allocations", "posted_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = f"latest {LATEST_TRANSACTIONS} transactions and their allocations"

    def get_queryset(self, request):
        return loan_transactions_with_allocations(super().get_queryset(request)).order_by("effective_date", "id")

    @admin.display(description="Transaction")
    def link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:servicing_loantransaction_change", args=[obj.pk]), obj.pk
        )

    @admin.display(description="Allocation")
    def allocations(self, obj):
        return _allocation_summary(obj)


@admin.register(LoanAccount)
class LoanAccountAdmin(RoleViewMixin, admin.ModelAdmin):
    list_display = ("loan_number", "borrower_name", "product_name", "status", "principal_balance", "next_due_date")
    list_filter = ("status", ProductFilter)
    # Searched by servicing.selectors.loan_search (get_search_results): each kind of term through its index.
    search_fields = ("loan_number", "borrower_name")
    search_help_text = (
        "Part of a loan number or borrower name; a borrower's whole email address or phone number (10 digits); "
        "an application number (A-2026-000123)."
    )
    list_select_related = False  # the list shows the loan's own columns: a join would sort every loan for a page
    list_per_page = 50  # the admin renders a row in about half a millisecond: 100 rows were most of the page
    show_full_result_count = False
    paginator = CappedPaginator
    change_form_template = "admin/servicing/loanaccount/change_form.html"
    change_list_template = "admin/servicing/loanaccount/change_list.html"
    fieldsets = (
        (None, {"fields": ("loan_number", "status", "application", "borrower", "borrower_name")}),
        (
            "Property",
            {"fields": ("property_address_line1", ("property_city", "property_state", "property_postal_code"))},
        ),
        (
            "Terms as booked",
            {
                "fields": (
                    ("product_code", "product_name"),
                    ("principal", "annual_rate", "day_count", "interest_method"),
                    ("term_periods", "payment_frequency", "amortization"),
                    ("interest_only_periods", "balloon_after_periods", "odd_first_period"),
                    ("disbursement_date", "first_payment_date", "maturity_date"),
                    "regular_payment",
                    ("late_fee_percent", "late_fee_flat", "late_fee_max", "grace_days"),
                    ("allocation_strategy", "returned_payment_fee"),
                    ("escrow_monthly_payment", "escrow_initial_deposit", "escrow_cushion"),
                )
            },
        ),
        (
            "Running balances",
            {
                "fields": (
                    ("principal_balance", "interest_due", "interest_prepaid", "fees_due"),
                    ("escrow_balance", "suspense_balance"),
                    ("interest_paid_through", "interest_accrued_through", "next_due_date"),
                    ("schedule", "history"),
                    "version",
                )
            },
        ),
        ("Boarding", {"fields": ("boarded_at", "boarded_by", "updated_at")}),
    )
    readonly_fields = ("schedule", "history")
    # The schedule (360 rows on a mortgage) and the whole transaction history are linked, not inlined: their own
    # pages are paginated. The inline shows the latest transactions.
    inlines = (EscrowItemInline, LoanTransactionInline)

    def get_object(self, request, object_id, from_field=None):
        """The change page's loan with the application, borrower and boarder it shows, in one query; the
        changelist's queryset (get_queryset) joins nothing."""
        queryset = self.get_queryset(request).select_related("application", "borrower", "boarded_by")
        try:
            return queryset.get(**{from_field or "pk": object_id})
        except (LoanAccount.DoesNotExist, ValidationError, ValueError, TypeError):
            return None

    def get_ordering(self, request):
        if len(request.GET.get("q", "").strip()) >= TRIGRAM:  # a search sorts its matches (see servicing.selectors)
            return [(F("id") + 0).desc()]
        return super().get_ordering(request)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # No join fans out (loan_search matches one row per loan): no DISTINCT needed.
        return queryset.filter(loan_search(term)), False

    @admin.display(description="Transactions")
    def history(self, obj):
        url = reverse("servicing:loan-transactions", args=[obj.pk])
        return format_html('<a href="{}" data-testid="history-link">All transactions, a page at a time</a>', url)

    @admin.display(description="Schedule")
    def schedule(self, obj):
        url = reverse("servicing:loan-schedule", args=[obj.pk])
        return format_html(
            '<a href="{}" data-testid="schedule-link">{} installments, a page at a time</a>', url, obj.term_periods
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/post-payment/",
                view(partial(admin_views.payment_post_view, model_admin=self)),
                name="servicing_loanaccount_post_payment",
            ),
            path(
                "<path:object_id>/post-payment/preview/",
                view(partial(admin_views.payment_preview_view, model_admin=self)),
                name="servicing_loanaccount_payment_preview",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"may_post": admin_views.may_post(request.user), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:  # not a redirect (a bad filter) or a bulk action's page
            # The rows rendered when the template prints them, with the per-page work done once (servicing.admin.rows).
            context["result_rows"] = rows.ResultRows.for_changelist(context["cl"])
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The read-only page's ~100 values and its inlines built in one pass (servicing.admin.readonly): half the
        page's CPU went to the admin's per-field templates (issue 15)."""
        context["readonly_fieldsets"] = readonly.fieldsets_html(context["adminform"])
        context["readonly_inlines"] = readonly.inlines_html(context["inline_admin_formsets"])
        return super().render_change_form(request, context, add, change, form_url, obj)


class AllocationLineInline(RoleViewMixin, admin.TabularInline):
    model = AllocationLine
    fields = ("installment_number", "due_date", "bucket", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "allocation (standing lines)"

    def get_queryset(self, request):
        return AllocationLine.objects.current().select_related("installment").order_by("id")

    @admin.display(description="Installment")
    def installment_number(self, obj):
        return obj.installment.number if obj.installment_id else "-"

    @admin.display(description="Due")
    def due_date(self, obj):
        return obj.installment.due_date if obj.installment_id else "-"


@admin.register(LoanTransaction)
class LoanTransactionAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    """Payments and reversals, read-only. A posted payment is reversed through "Reverse" (payment_reverse)."""

    exact_search_fields = ("idempotency_key",)
    list_display = ("id", "loan", "kind", "amount", "effective_date", "method", "reference", "status", "posted_by")
    list_filter = ("kind", "status", "method", "effective_date")
    list_select_related = ("loan", "posted_by")
    show_full_result_count = False
    paginator = CappedPaginator  # millions of rows: counted no further than the last page shown
    change_form_template = "admin/servicing/loantransaction/change_form.html"
    fields = (
        ("loan", "kind", "status"),
        ("amount", "effective_date", "method", "directive"),
        ("reference", "idempotency_key"),
        ("journal_entry", "reverses", "reversal"),
        "note",
        ("posted_by", "posted_at"),
    )
    readonly_fields = (
        "loan",
        "kind",
        "status",
        "amount",
        "effective_date",
        "method",
        "directive",
        "reference",
        "idempotency_key",
        "journal_entry",
        "reverses",
        "reversal",
        "note",
        "posted_by",
        "posted_at",
    )
    inlines = (AllocationLineInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("loan", "posted_by", "journal_entry", "reverses", "reversed_by")
        )

    @admin.display(description="Reversed by")
    def reversal(self, obj):
        reversal = getattr(obj, "reversed_by", None)
        if reversal is None:
            return "-"
        url = reverse("admin:servicing_loantransaction_change", args=[reversal.pk])
        return format_html('<a href="{}">{}</a>', url, reversal)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reverse/",
                self.admin_site.admin_view(partial(admin_views.payment_reverse_view, model_admin=self)),
                name="servicing_loantransaction_reverse",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"may_post": admin_views.may_post(request.user), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(ImportBatch)
class ImportBatchAdmin(RoleViewMixin, admin.ModelAdmin):
    """Uploaded files: upload -> validated preview (every line, its status and errors) -> commit."""

    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = (
        "id",
        "kind",
        "file_name",
        "status",
        "line_count",
        "valid_count",
        "error_count",
        "posted_count",
        "duplicate_count",
        "uploaded_by",
        "uploaded_at",
    )
    list_display_links = ("id", "file_name")
    list_filter = ("kind", "status")
    search_fields = ("file_name", "sha256")
    list_select_related = ("uploaded_by",)
    show_full_result_count = False
    change_list_template = "admin/servicing/importbatch/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "upload/",
                view(partial(admin_views.import_upload_view, model_admin=self)),
                name="servicing_importbatch_upload",
            ),
            path(
                "<path:object_id>/preview/",
                view(partial(admin_views.import_preview_view, model_admin=self)),
                name="servicing_importbatch_preview",
            ),
            path(
                "<path:object_id>/commit/",
                # Each line commits on its own (a failing line undoes nothing else): no request-wide transaction.
                transaction.non_atomic_requests(view(partial(admin_views.import_commit_view, model_admin=self))),
                name="servicing_importbatch_commit",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:servicing_importbatch_preview", object_id)

    def changelist_view(self, request, extra_context=None):
        extra = {"may_post": admin_views.may_post(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)


class JournalLineInline(ReadOnlyMixin, admin.TabularInline):
    model = JournalLine
    fields = ("account", "debit", "credit", "loan")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "loan")


@admin.register(JournalEntry)
class JournalEntryAdmin(LoanRecordSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    """The journal is append-only: viewed here, posted and reversed only by the services."""

    exact_search_fields = ("idempotency_key",)
    list_display = ("id", "effective_date", "kind", "loan", "memo", "reverses", "created_by", "posted_at")
    list_filter = ("kind", "effective_date")
    list_select_related = ("loan", "reverses", "created_by")
    show_full_result_count = False
    paginator = CappedPaginator  # millions of rows: counted no further than the last page shown
    fields = ("loan", "effective_date", "kind", "memo", "reverses", "created_by", "posted_at", "idempotency_key")
    readonly_fields = fields
    inlines = (JournalLineInline,)


@admin.register(LedgerAccount)
class LedgerAccountAdmin(admin.ModelAdmin):
    """The chart of accounts. Codes are what the code posts to: fixed once created; accounts are never deleted."""

    list_display = ("number", "code", "name", "kind", "normal_side", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("number", "code", "name")

    def get_readonly_fields(self, request, obj=None):
        return ("code", "kind", "normal_side") if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False
