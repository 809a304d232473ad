from django.contrib import admin

from origination.models import AveragePrimeOfferRate, DocumentType, LoanProduct, ProductDocument, ProductFee


class ProductDocumentInline(admin.TabularInline):
    model = ProductDocument
    extra = 0


class ProductFeeInline(admin.TabularInline):
    model = ProductFee
    extra = 0


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "annual_rate", "term_periods", "payment_frequency", "is_active")
    list_filter = ("kind", "is_active", "payment_frequency", "amortization")
    search_fields = ("name", "code")
    inlines = [ProductDocumentInline, ProductFeeInline]

    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active")}),
        (
            "Terms",
            {
                "fields": (
                    "annual_rate",
                    "term_periods",
                    "payment_frequency",
                    "amortization",
                    "interest_only_periods",
                    "balloon_after_periods",
                    "day_count",
                    "interest_method",
                    "allocation_strategy",
                    "min_amount",
                    "max_amount",
                )
            },
        ),
        (
            "Fees and servicing",
            {
                "fields": (
                    "origination_fee_percent",
                    "late_fee_percent",
                    "late_fee_flat",
                    "late_fee_max",
                    "grace_days",
                    "returned_payment_fee",
                    "statement_days_before_due",
                    "escrow_required",
                )
            },
        ),
        (
            "Underwriting limits",
            {"fields": ("max_ltv", "max_cltv", "max_dti", "min_credit_score", "min_reserves_months")},
        ),
    )


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "borrower_provides")
    search_fields = ("name", "code")


@admin.register(AveragePrimeOfferRate)
class AveragePrimeOfferRateAdmin(admin.ModelAdmin):
    list_display = ("effective_date", "is_fixed", "term_years", "rate")
    list_filter = ("is_fixed", "term_years")
    date_hierarchy = "effective_date"
