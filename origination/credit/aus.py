"""Automated underwriting (AUS): findings in the manner of DU/LPA, from the application and the product's limits.

Pure Python (no Django, no database): the underwriting service gathers the figures, ``evaluate`` judges them.

Figures (money in cents, ROUND_HALF_UP; ratios in percent with 4 decimals; reserves in months with 2):
- P&I: ``lending.finance.amortization.level_payment`` on the amount requested at the product's rate and term,
  as a monthly figure (payment x periods a year / 12 for non-monthly products). Every product qualifies at the
  fully amortizing payment over the whole term, interest-only ones too (the conservative choice).
- Housing expense (mortgage, PITIA): P&I + annual property tax / 12 + annual insurance / 12 + monthly HOA.
- Front-end DTI = housing expense / gross monthly income (mortgages; shown, the product sets no limit on it).
- Back-end DTI = (housing expense + monthly payments of the application's liabilities not paid off at closing)
  / gross monthly income. For other products: (new payment + those liabilities + the borrowers' present housing
  expense) / income. Credit-report tradelines are not added, which would count declared debts twice; when the
  reports show more monthly debt than the application declares, a warning says so.
- Income: monthly base + other income of every borrower's current employment.
- LTV = amount / value and CLTV = (amount + subordinate liens) / value, where value is the appraised value
  (the estimated value until an appraisal is in), or the purchase price if lower on a purchase.
- Reserves (months) = (assets - funds to close) / housing expense (the new payment for other products).
  Assets count at their balance, retirement accounts at 60 % (taxes and penalties on withdrawal). Funds to close
  = down payment (purchase price - amount, on a purchase) + estimated closing costs (origination fee + the
  product's fixed fees); prepaids and escrow deposits are left out. Other products need no funds to close.
- Credit score: the lowest of the borrowers' latest scores (DU uses the lowest representative score too).

Recommendation, first match wins:
1. Out of Scope: the limits cannot be evaluated: no loan amount, an amount outside the product's minimum and
   maximum, no income, or a mortgage without a subject property.
2. Refer with Caution: credit score more than 40 points under the product minimum, or back-end DTI more than
   7 points over the product maximum.
3. Refer: any other limit not met: credit score under the minimum, a borrower without a score (no credit file:
   manual underwriting with non-traditional credit), back-end DTI, LTV or CLTV over the maximum, reserves under
   the minimum or not enough assets to close.
4. Approve/Eligible.
Each check adds a message {code, severity, text}, passed or not; the first message states the recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lending.finance.amortization import level_payment, periods_per_year
from lending.finance.money import CONTEXT, ROUNDING, cents

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


@dataclass(frozen=True, kw_only=True)
class AusInput:
    product: ProductTerms
    purpose: str
    amount: Decimal | None
    monthly_income: Decimal
    liabilities_monthly: Decimal = ZERO  # kept after closing (the back-end DTI counts these)
    declared_liabilities_monthly: Decimal = ZERO  # every liability on the application, paid off or not
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


# ---- figures ---------------------------------------------------------------------------------------------------


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator in percent, 4 decimals, half up."""
    return CONTEXT.divide(numerator * 100, denominator).quantize(RATIO_PLACES, rounding=ROUNDING)


def monthly_payment(amount: Decimal, product: ProductTerms) -> Decimal:
    """The fully amortizing P&I, as a monthly figure."""
    per_year = periods_per_year(product.payment_frequency)
    payment = level_payment(amount, product.annual_rate, product.term_periods, per_year)
    return payment if per_year == 12 else cents(CONTEXT.divide(payment * per_year, 12))


def monthly(annual: Decimal) -> Decimal:
    return cents(CONTEXT.divide(annual, 12))


def property_value(prop: PropertyFacts, purpose: str) -> tuple[Decimal, str]:
    """The value LTV is measured against, and what it is."""
    value, basis = (
        (prop.appraised_value, "appraised value") if prop.appraised_value else (prop.estimated_value, "estimated value")
    )
    if purpose == "purchase" and prop.purchase_price and prop.purchase_price < value:
        return prop.purchase_price, "purchase price (lower than the " + basis + ")"
    return value, basis


def counted_assets(assets: tuple[tuple[str, Decimal], ...]) -> Decimal:
    return cents(sum((balance * (RETIREMENT_SHARE if kind == "retirement" else 1) for kind, balance in assets), ZERO))


def pct(value: Decimal) -> str:
    return f"{value.quantize(MONTH_PLACES, rounding=ROUNDING)} %"


def money(value: Decimal) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


# ---- the engine ------------------------------------------------------------------------------------------------


def evaluate(data: AusInput) -> Findings:
    """Judge the application against the product's limits; see the module docstring for every rule."""
    product, prop = data.product, data.property
    mortgage = product.kind == MORTGAGE
    found = Findings(recommendation=APPROVE_ELIGIBLE)
    calc: dict[str, Decimal | str] = {"monthly_income": cents(data.monthly_income)}
    scope: list[Message] = []
    checks: list[Message] = []

    amount = data.amount if data.amount is not None and data.amount > 0 else None
    if amount is None:
        scope.append(
            Message("amount_missing", OUT_OF_SCOPE, "No loan amount is on the application: nothing to evaluate.")
        )
    elif not product.min_amount <= amount <= product.max_amount:
        scope.append(
            Message(
                "amount_outside_product",
                OUT_OF_SCOPE,
                f"The loan amount {money(amount)} is outside the product's range "
                f"{money(product.min_amount)} to {money(product.max_amount)}.",
            )
        )
    if data.monthly_income <= 0:
        scope.append(
            Message(
                "income_missing",
                OUT_OF_SCOPE,
                "No current income is on the application: the debt-to-income ratios cannot be computed.",
            )
        )
    if mortgage and prop is None:
        scope.append(
            Message(
                "property_missing",
                OUT_OF_SCOPE,
                "A mortgage needs a subject property: the housing expense and LTV cannot be computed.",
            )
        )

    payment = _payment(data, amount, calc)
    _ratios(data, found, payment, calc, checks)
    _collateral(data, found, amount, calc, checks)
    _reserves(data, found, amount, payment, calc, checks)
    _credit(data, found, calc, checks)
    warnings = _warnings(data, calc)

    severities = {m.severity for m in checks}
    if scope:
        found.recommendation = OUT_OF_SCOPE
        summary = (
            "Out of Scope: the product's limits cannot be evaluated (see below); correct the application "
            "or choose another product."
        )
    elif REFER_WITH_CAUTION in severities:
        found.recommendation = REFER_WITH_CAUTION
        summary = (
            "Refer with Caution: the file is far outside the product's limits (credit score or debt-to-income); "
            "approval as submitted is unlikely."
        )
    elif REFER in severities:
        found.recommendation = REFER
        count = sum(m.severity == REFER for m in checks)
        summary = f"Refer: {count} product limit{'s' if count > 1 else ''} not met; the file needs manual underwriting."
    else:
        summary = "Approve/Eligible: every product limit is met."
    found.messages = [
        m.as_dict() for m in [Message("recommendation", found.recommendation, summary), *scope, *checks, *warnings]
    ]
    found.calculations = {key: str(value) for key, value in calc.items()}
    return found


def _payment(data: AusInput, amount: Decimal | None, calc: dict) -> Decimal | None:
    """The monthly payment the ratios and reserves use: PITIA for a mortgage, the new payment otherwise."""
    if amount is None:
        return None
    pi = monthly_payment(amount, data.product)
    calc["principal_and_interest"] = pi
    if data.product.kind != MORTGAGE:
        calc["housing_payment"] = pi
        return pi
    prop = data.property
    if prop is None:
        return None
    taxes, insurance, hoa = monthly(prop.annual_property_tax), monthly(prop.annual_insurance), cents(prop.monthly_hoa)
    calc.update(taxes_monthly=taxes, insurance_monthly=insurance, hoa_monthly=hoa)
    calc["housing_payment"] = pi + taxes + insurance + hoa
    return calc["housing_payment"]


def _ratios(data: AusInput, found: Findings, payment: Decimal | None, calc: dict, checks: list[Message]) -> None:
    product, income = data.product, data.monthly_income
    liabilities = cents(data.liabilities_monthly)
    calc["liabilities_monthly"] = liabilities
    if payment is None or income <= 0:
        return
    total = payment + liabilities
    if product.kind == MORTGAGE:
        found.front_dti = calc["front_dti"] = ratio(payment, income)
        checks.append(
            Message(
                "front_dti",
                INFO,
                f"Front-end DTI is {pct(found.front_dti)}: housing expense {money(payment)} "
                f"on gross monthly income {money(income)}.",
            )
        )
    else:
        calc["present_housing"] = cents(data.present_housing_expense)
        total += calc["present_housing"]
    calc["total_obligations"] = total
    back = found.back_dti = calc["back_dti"] = ratio(total, income)
    detail = f"monthly obligations {money(total)} on gross monthly income {money(income)}"
    limit = product.max_dti
    if back > limit + CAUTION_DTI_POINTS:
        text = (
            f"Back-end DTI {pct(back)} is more than {CAUTION_DTI_POINTS} points over the product maximum {pct(limit)}"
        )
        checks.append(Message("back_dti", REFER_WITH_CAUTION, f"{text} ({detail})."))
    elif back > limit:
        checks.append(
            Message("back_dti", REFER, f"Back-end DTI {pct(back)} exceeds the product maximum {pct(limit)} ({detail}).")
        )
    else:
        checks.append(
            Message(
                "back_dti", PASS, f"Back-end DTI {pct(back)} is within the product maximum {pct(limit)} ({detail})."
            )
        )


def _collateral(data: AusInput, found: Findings, amount: Decimal | None, calc: dict, checks: list[Message]) -> None:
    prop, product = data.property, data.product
    if prop is None or amount is None:
        return
    value, basis = property_value(prop, data.purpose)
    liens = cents(prop.subordinate_liens)
    calc.update(value=value, value_basis=basis, subordinate_liens=liens)
    found.ltv = calc["ltv"] = ratio(amount, value)
    found.cltv = calc["cltv"] = ratio(amount + liens, value)
    for code, label, figure, limit in (
        ("ltv", "LTV", found.ltv, product.max_ltv),
        ("cltv", "CLTV", found.cltv, product.max_cltv),
    ):
        if limit is None:
            continue
        on = f"on the {basis} {money(value)}"
        if figure > limit:
            checks.append(Message(code, REFER, f"{label} {pct(figure)} {on} exceeds the product maximum {pct(limit)}."))
        else:
            checks.append(
                Message(code, PASS, f"{label} {pct(figure)} {on} is within the product maximum {pct(limit)}.")
            )


def _reserves(
    data: AusInput, found: Findings, amount: Decimal | None, payment: Decimal | None, calc: dict, checks: list[Message]
) -> None:
    product = data.product
    if amount is None or payment is None:
        return
    assets = calc["assets"] = counted_assets(data.assets)
    down_payment = closing_costs = ZERO
    if product.kind == MORTGAGE and data.property is not None:
        if data.purpose == "purchase":
            price = data.property.purchase_price or data.property.estimated_value
            down_payment = max(ZERO, cents(price - amount))
        closing_costs = cents(amount * product.origination_fee_percent / 100) + cents(product.fixed_fees)
    funds = down_payment + closing_costs
    available = assets - funds
    calc.update(
        down_payment=down_payment, closing_costs=closing_costs, funds_to_close=funds, reserves_available=available
    )
    months = found.reserves_months = calc["reserves_months"] = CONTEXT.divide(available, payment).quantize(
        MONTH_PLACES, rounding=ROUNDING
    )
    minimum = product.min_reserves_months
    if available < 0:
        text = (
            f"Assets of {money(assets)} do not cover the {money(funds)} needed to close (down payment and "
            f"estimated closing costs): {money(-available)} short."
        )
        checks.append(Message("funds_to_close", REFER, text))
    elif months < minimum:
        checks.append(
            Message(
                "reserves",
                REFER,
                f"Reserves of {months} months ({money(available)} after closing) are below the product minimum "
                f"of {minimum} months.",
            )
        )
    else:
        checks.append(
            Message(
                "reserves",
                PASS,
                f"Reserves of {months} months ({money(available)} after closing) meet the product minimum "
                f"of {minimum} months.",
            )
        )


def _credit(data: AusInput, found: Findings, calc: dict, checks: list[Message]) -> None:
    minimum = data.product.min_credit_score
    if not data.credit:
        checks.append(
            Message("no_credit_report", REFER, "No credit report is on file: pull credit for every borrower.")
        )
        return
    calc["scores"] = ", ".join(f"{c.name} {c.score if c.score is not None else 'no score'}" for c in data.credit)
    for borrower in data.credit:
        if borrower.score is None:
            checks.append(
                Message(
                    "no_credit_file",
                    REFER,
                    f"No credit score for {borrower.name} (no credit file): manual underwriting with "
                    "non-traditional credit references is required.",
                )
            )
    known = [c.score for c in data.credit if c.score is not None]
    if not known:
        return
    score = found.credit_score = min(known)
    calc["credit_score"] = str(score)
    if score < minimum - CAUTION_SCORE_POINTS:
        text = f"Credit score {score} is more than {CAUTION_SCORE_POINTS} points below the product minimum {minimum}."
        checks.append(Message("credit_score", REFER_WITH_CAUTION, text))
    elif score < minimum:
        checks.append(Message("credit_score", REFER, f"Credit score {score} is below the product minimum {minimum}."))
    else:
        checks.append(Message("credit_score", PASS, f"Credit score {score} meets the product minimum {minimum}."))


def _warnings(data: AusInput, calc: dict) -> list[Message]:
    """Things an underwriter must look at that do not change the recommendation."""
    warnings = []
    bureau_monthly = ZERO
    for borrower in data.credit:
        bad = [t for t in borrower.tradelines if t.get("status") in DEROGATORY_STATUSES]
        bureau_monthly += sum((Decimal(str(t.get("monthly_payment") or 0)) for t in borrower.tradelines), ZERO)
        if bad:
            listed = "; ".join(f"{t.get('creditor', '?')} ({t['status']})" for t in bad)
            warnings.append(
                Message(
                    "derogatory_credit",
                    WARNING,
                    f"{borrower.name}'s credit report shows derogatory tradelines: {listed}.",
                )
            )
    if data.credit:
        calc["bureau_monthly"] = cents(bureau_monthly)
    declared = cents(data.declared_liabilities_monthly)
    if bureau_monthly > declared:
        warnings.append(
            Message(
                "undisclosed_debt",
                WARNING,
                f"The credit reports show {money(bureau_monthly)} a month of payments; the application declares "
                f"{money(declared)}. Reconcile the difference (the DTI counts the declared liabilities).",
            )
        )
    return warnings


# ---- display -------------------------------------------------------------------------------------------------

# The calculation breakdown, in reading order: (key, label, kind) with kind money, percent, months or text.
CALCULATION_ROWS = (
    ("monthly_income", "Gross monthly income", "money"),
    ("principal_and_interest", "Principal and interest (monthly)", "money"),
    ("taxes_monthly", "Property tax (annual / 12)", "money"),
    ("insurance_monthly", "Homeowner's insurance (annual / 12)", "money"),
    ("hoa_monthly", "HOA dues", "money"),
    ("housing_payment", "Housing expense / new payment", "money"),
    ("liabilities_monthly", "Liabilities kept after closing", "money"),
    ("present_housing", "Present housing expense", "money"),
    ("total_obligations", "Total monthly obligations", "money"),
    ("front_dti", "Front-end DTI", "percent"),
    ("back_dti", "Back-end DTI", "percent"),
    ("value", "Property value used", "money"),
    ("value_basis", "Value basis", "text"),
    ("subordinate_liens", "Subordinate liens", "money"),
    ("ltv", "LTV", "percent"),
    ("cltv", "CLTV", "percent"),
    ("assets", "Assets counted (retirement at 60 %)", "money"),
    ("down_payment", "Down payment", "money"),
    ("closing_costs", "Estimated closing costs", "money"),
    ("funds_to_close", "Funds to close", "money"),
    ("reserves_available", "Assets left after closing", "money"),
    ("reserves_months", "Reserves (months of payment)", "months"),
    ("bureau_monthly", "Payments on the credit reports", "money"),
    ("scores", "Credit scores", "text"),
    ("credit_score", "Score used (lowest)", "text"),
)


def calculation_rows(calculations: dict[str, str]) -> list[tuple[str, str]]:
    """(label, shown value) for each figure a finding stored, in reading order."""
    rows = []
    for key, label, kind in CALCULATION_ROWS:
        if key not in calculations:
            continue
        value = calculations[key]
        if kind == "money":
            value = money(Decimal(value))
        elif kind == "percent":
            value = f"{value} %"
        elif kind == "months":
            value = f"{value} months"
        rows.append((label, value))
    return rows
