"""The demo products (with their document checklists and fees) and the weekly APOR table."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from lending.core.services import audit_record
from origination.models import (
    AveragePrimeOfferRate,
    DocumentType,
    LoanProduct,
    ProductDocument,
    ProductFee,
)

D = Decimal


MORTGAGE_LIMITS = {
    "kind": "mortgage",
    "payment_frequency": "monthly",
    "amortization": "level",
    "day_count": "30/360",
    "allocation_strategy": "mortgage_standard",
    "min_amount": D("50000.00"),
    "max_amount": D("1500000.00"),
    "origination_fee_percent": D("1.0000"),
    "late_fee_percent": D("5.0000"),
    "grace_days": 15,
    "returned_payment_fee": D("25.00"),
    "escrow_required": True,
    "max_ltv": D("95.0000"),
    "max_cltv": D("95.0000"),
    "max_dti": D("43.0000"),
    "min_credit_score": 620,
    "min_reserves_months": D("2.00"),
}
MORTGAGE_FEES = (  # (name, amount, finance charge, points and fees)
    ("Underwriting fee", D("895.00"), True, True),
    ("Appraisal fee", D("550.00"), False, False),
    ("Credit report fee", D("45.00"), False, False),
)
# code -> (fields, fees, checklist as (document type code, required for submission))
PRODUCTS = {
    "mortgage-30-fixed": (
        {"name": "30-year fixed mortgage", "annual_rate": D("6.5000"), "term_periods": 360, **MORTGAGE_LIMITS},
        MORTGAGE_FEES,
        (
            ("pay-stub", True),
            ("w-2", True),
            ("bank-statement", True),
            ("photo-id", True),
            ("purchase-contract", True),
            ("appraisal", False),
            ("title", False),
            ("insurance", False),
        ),
    ),
    "mortgage-15-fixed": (
        {"name": "15-year fixed mortgage", "annual_rate": D("5.8750"), "term_periods": 180, **MORTGAGE_LIMITS},
        MORTGAGE_FEES,
        (
            ("pay-stub", True),
            ("w-2", True),
            ("bank-statement", True),
            ("photo-id", True),
            ("appraisal", False),
            ("title", False),
            ("insurance", False),
        ),
    ),
    "personal-36": (
        {
            "name": "Personal installment loan",
            "kind": "consumer",
            "annual_rate": D("11.9900"),
            "term_periods": 36,
            "day_count": "actual/365",
            "allocation_strategy": "fees_interest_principal",
            "min_amount": D("1000.00"),
            "max_amount": D("50000.00"),
            "origination_fee_percent": D("2.0000"),
            "late_fee_flat": D("25.00"),
            "grace_days": 10,
            "max_dti": D("40.0000"),
            "min_credit_score": 640,
        },
        (),
        (("pay-stub", True), ("bank-statement", True), ("photo-id", True)),
    ),
    "business-term-60": (
        {
            "name": "Small business term loan",
            "kind": "business",
            "annual_rate": D("9.5000"),
            "term_periods": 60,
            "day_count": "actual/360",
            "allocation_strategy": "interest_principal_fees",
            "min_amount": D("10000.00"),
            "max_amount": D("500000.00"),
            "origination_fee_percent": D("1.5000"),
            "late_fee_percent": D("5.0000"),
            "grace_days": 10,
            "max_dti": D("45.0000"),
            "min_credit_score": 660,
        },
        (("Documentation fee", D("250.00"), True, True),),
        (("tax-return", True), ("bank-statement", True), ("photo-id", True)),
    ),
}
APOR_WEEKS = 12
APOR_BASE = {30: D("6.20"), 15: D("5.60")}  # fixed-rate APOR around which the weekly rows move
APOR_WIGGLE = (D("0.09"), D("0.06"), D("0.11"), D("0.04"), D("0.02"), D("0.07"), D("0.03"), D("0.00"))


def _standard_document_types() -> tuple:
    # The data migration's list: transactional tests flush its rows, so the demo makes sure they exist.
    return import_module("origination.migrations.0003_standard_document_types").STANDARD_DOCUMENT_TYPES


@transaction.atomic
def products_seed() -> list[LoanProduct]:
    """The demo products with their document checklists and fees (configuration, as a manager enters it in
    the admin). Existing products are left as they are."""
    types = {}
    for code, name, description, borrower_provides in _standard_document_types():
        types[code], _ = DocumentType.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "borrower_provides": borrower_provides}
        )
    products = []
    for code, (fields, fees, checklist) in PRODUCTS.items():
        product, created = LoanProduct.objects.get_or_create(code=code, defaults=fields)
        if created:
            ProductDocument.objects.bulk_create(
                ProductDocument(product=product, document_type=types[doc], required_for_submission=required)
                for doc, required in checklist
            )
            ProductFee.objects.bulk_create(
                ProductFee(product=product, name=name, amount=amount, is_finance_charge=fc, is_points_and_fees=pf)
                for name, amount, fc, pf in fees
            )
            audit_record(actor=None, verb="product.created", target=product, after={"code": code}, note="Demo data")
        products.append(product)
    return products


def apor_seed(today: date | None = None) -> int:
    """Weekly fixed-rate APOR rows (30 and 15 years) for the last APOR_WEEKS weeks. Returns the rows added."""
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    added = 0
    for week in range(APOR_WEEKS):
        effective = monday - timedelta(weeks=week)
        for term, base in APOR_BASE.items():
            rate = base + APOR_WIGGLE[(week + term) % len(APOR_WIGGLE)]
            _, created = AveragePrimeOfferRate.objects.get_or_create(
                effective_date=effective, is_fixed=True, term_years=term, defaults={"rate": rate}
            )
            added += created
    return added
