"""The contract terms as signed at closing: a snapshot of what the note and the Closing Disclosure state, taken
when the signing (consummation) is recorded and stored on ``ClosingSignature.terms``.

Servicing books the loan from this snapshot (``servicing.services.onboarding``), never from the product as it
stands at funding, so a product edit between closing and funding cannot reach a loan. The amount and the note
rate are the latest final disclosure's (Closing Disclosure, or Truth in Lending disclosure for a consumer loan;
the application's for a business loan, which gets none); the other terms (term, frequency, amortization,
day count, late charge, grace, payment order) are the product's at signing, which the note states.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from origination.models import Application
from origination.services.disclosures import final_disclosure

DECIMAL_TERMS = (
    "loan_amount",
    "annual_rate",
    "late_fee_percent",
    "late_fee_flat",
    "late_fee_max",
    "returned_payment_fee",
)
DATE_TERMS = ("closing_date", "first_payment_date")
PRODUCT_TERMS = (
    "term_periods",
    "payment_frequency",
    "amortization",
    "interest_only_periods",
    "balloon_after_periods",
    "day_count",
    "interest_method",
    "late_fee_percent",
    "late_fee_flat",
    "late_fee_max",
    "grace_days",
    "returned_payment_fee",
    "allocation_strategy",
    "statement_days_before_due",
)


def contract_terms_snapshot(app: Application) -> dict[str, Any]:
    """The terms signed at closing, JSON-ready (Decimals and dates as strings; ``contract_terms_load`` reads
    them back)."""
    product = app.product
    # The Closing Disclosure, or a consumer loan's Truth in Lending disclosure; a business loan has neither.
    cd = final_disclosure(app)
    terms: dict[str, Any] = {
        "product_code": product.code,
        "product_name": product.name,
        "loan_amount": cd.loan_amount if cd is not None else app.amount_requested,
        "annual_rate": cd.annual_rate if cd is not None else product.annual_rate,
        "closing_disclosure": cd.pk if cd is not None else None,
        "closing_date": app.closing_date,
        "first_payment_date": app.first_payment_date,
        **{name: getattr(product, name) for name in PRODUCT_TERMS},
    }
    return {key: str(value) if isinstance(value, Decimal | date) else value for key, value in terms.items()}


def contract_terms_load(data: dict[str, Any]) -> dict[str, Any]:
    """A stored snapshot with its Decimals and dates back."""
    terms = dict(data)
    for name in DECIMAL_TERMS:
        if terms.get(name) is not None:
            terms[name] = Decimal(terms[name])
    for name in DATE_TERMS:
        if terms.get(name) is not None:
            terms[name] = date.fromisoformat(terms[name])
    return terms
