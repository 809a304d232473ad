"""What automated underwriting reads (the product's limits, the property, the borrowers' credit) and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

APPROVE_ELIGIBLE, REFER, REFER_WITH_CAUTION, OUT_OF_SCOPE = (
    "approve_eligible",
    "refer",
    "refer_with_caution",
    "out_of_scope",
)
RECOMMENDATION_LABELS = {
    APPROVE_ELIGIBLE: "Approve/Eligible",
    REFER: "Refer",
    REFER_WITH_CAUTION: "Refer with Caution",
    OUT_OF_SCOPE: "Out of Scope",
}
# Message severities: what a check found.
PASS, INFO, WARNING = "pass", "info", "warning"
# How each severity is shown (a recommendation code is also a severity: the check that drove it).
SEVERITY_LABELS = {
    PASS: "Met",
    INFO: "Info",
    WARNING: "Warning",
    APPROVE_ELIGIBLE: "Approve/Eligible",
    REFER: "Refer",
    REFER_WITH_CAUTION: "Caution",
    OUT_OF_SCOPE: "Out of scope",
}
CAUTION_SCORE_POINTS = 40
CAUTION_DTI_POINTS = Decimal("7")
RETIREMENT_SHARE = Decimal("0.60")
MORTGAGE = "mortgage"
RATIO_PLACES = Decimal("0.0001")
MONTH_PLACES = Decimal("0.01")
ZERO = Decimal("0.00")
DEROGATORY_STATUSES = ("30 days late", "60 days late", "90 days late", "collection", "charge-off")


@dataclass(frozen=True, kw_only=True)
class ProductTerms:
    kind: str
    annual_rate: Decimal
    term_periods: int
    payment_frequency: str = "monthly"
    min_amount: Decimal
    max_amount: Decimal
    max_dti: Decimal
    max_ltv: Decimal | None = None
    max_cltv: Decimal | None = None
    min_credit_score: int = 620
    min_reserves_months: Decimal = ZERO
    origination_fee_percent: Decimal = ZERO
    fixed_fees: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class PropertyFacts:
    estimated_value: Decimal
    appraised_value: Decimal | None = None
    purchase_price: Decimal | None = None
    subordinate_liens: Decimal = ZERO
    annual_property_tax: Decimal = ZERO
    annual_insurance: Decimal = ZERO
    monthly_hoa: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class BorrowerCredit:
    name: str
    score: int | None
    tradelines: tuple[dict[str, Any], ...] = ()
    exclusions: tuple[tuple[int, str], ...] = ()  # (tradeline index, the underwriter's reason): not counted


@dataclass(frozen=True, kw_only=True)
class AusInput:
    product: ProductTerms
    purpose: str
    amount: Decimal | None
    monthly_income: Decimal
    liabilities_monthly: Decimal = ZERO  # declared and kept after closing (reconciled with the credit reports)
    present_housing_expense: Decimal = ZERO
    assets: tuple[tuple[str, Decimal], ...] = ()  # (kind, balance)
    property: PropertyFacts | None = None
    credit: tuple[BorrowerCredit, ...] = ()


@dataclass(frozen=True)
class Message:
    code: str
    severity: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "text": self.text}


@dataclass
class Findings:
    recommendation: str
    front_dti: Decimal | None = None
    back_dti: Decimal | None = None
    ltv: Decimal | None = None
    cltv: Decimal | None = None
    credit_score: int | None = None
    reserves_months: Decimal | None = None
    messages: list[dict[str, str]] = field(default_factory=list)
    calculations: dict[str, str] = field(default_factory=dict)

    @property
    def recommendation_label(self) -> str:
        return RECOMMENDATION_LABELS[self.recommendation]
