"""Servicer screens in the admin. Loans and the journal are read-only here: every change goes through a service
(posting, reversal), so the admin never edits money."""

from django.contrib import admin

from servicing.models import EscrowItem, Installment, JournalEntry, JournalLine, LedgerAccount, LoanAccount


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InstallmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Installment
    fields = (
        "number",
        "due_date",
        "principal",
        "interest",
        "escrow",
        "payment",
        "paid_principal",
        "paid_interest",
        "paid_escrow",
        "paid_on",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False


class EscrowItemInline(ReadOnlyMixin, admin.TabularInline):
    model = EscrowItem
    fields = ("kind", "description", "payee", "annual_amount", "payments_per_year", "next_due_date")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(LoanAccount)
class LoanAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("loan_number", "borrower_name", "product_name", "status", "principal_balance", "next_due_date")
    list_filter = ("status", "product_code")
    search_fields = ("loan_number", "borrower_name", "application__number")
    list_select_related = True
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("loan_number", "status", "application", "borrower", "borrower_name")}),
        (
            "Terms as booked",
            {
                "fields": (
                    ("product_code", "product_name"),
                    ("principal", "annual_rate", "day_count"),
                    ("term_periods", "payment_frequency", "amortization"),
                    ("interest_only_periods", "balloon_after_periods", "odd_first_period"),
                    ("disbursement_date", "first_payment_date", "maturity_date"),
                    "regular_payment",
                    ("late_fee_percent", "late_fee_flat", "late_fee_max", "grace_days"),
                    "allocation_strategy",
                    ("escrow_monthly_payment", "escrow_initial_deposit", "escrow_cushion"),
                )
            },
        ),
        (
            "Running balances",
            {
                "fields": (
                    ("principal_balance", "interest_due", "fees_due"),
                    ("escrow_balance", "suspense_balance"),
                    ("interest_paid_through", "next_due_date"),
                    "version",
                )
            },
        ),
        ("Boarding", {"fields": ("boarded_at", "boarded_by", "updated_at")}),
    )
    inlines = (EscrowItemInline, InstallmentInline)


class JournalLineInline(ReadOnlyMixin, admin.TabularInline):
    model = JournalLine
    fields = ("account", "debit", "credit", "loan")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "loan")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The journal is append-only: viewed here, posted and reversed only by the services."""

    list_display = ("id", "effective_date", "kind", "loan", "memo", "reverses", "created_by", "posted_at")
    list_filter = ("kind",)
    search_fields = ("=id", "loan__loan_number", "memo", "idempotency_key")
    list_select_related = ("loan", "reverses", "created_by")
    date_hierarchy = "effective_date"
    show_full_result_count = False
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


from servicing import admin_payoff, admin_portal  # noqa: E402, F401  (their ModelAdmins register on import)
