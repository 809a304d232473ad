"""The rules of automated underwriting (see the package docstring): each check adds a message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lending.finance.money import CONTEXT, ROUNDING, cents
from origination.credit.aus.figures import counted_assets, money, monthly, monthly_payment, pct, property_value, ratio
from origination.credit.aus.inputs import (
    APPROVE_ELIGIBLE,
    CAUTION_DTI_POINTS,
    CAUTION_SCORE_POINTS,
    DEROGATORY_STATUSES,
    INFO,
    MONTH_PLACES,
    MORTGAGE,
    OUT_OF_SCOPE,
    PASS,
    REFER,
    REFER_WITH_CAUTION,
    WARNING,
    ZERO,
    AusInput,
    Findings,
    Message,
)


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
    _debts(data, calc, checks)
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
    liabilities = calc["liabilities_monthly"]
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


def tradeline_payment(tradeline: dict[str, Any]) -> Decimal:
    return cents(Decimal(str(tradeline.get("monthly_payment") or 0)))


def _debts(data: AusInput, calc: dict, checks: list[Message]) -> None:
    """Reconcile the declared liabilities with the credit reports: count the larger (see the package docstring)."""
    declared = cents(data.liabilities_monthly)
    reported = excluded = ZERO
    reasons = []
    for borrower in data.credit:
        left_out = dict(borrower.exclusions)
        for index, line in enumerate(borrower.tradelines):
            payment = tradeline_payment(line)
            reported += payment
            if index in left_out:
                excluded += payment
                reasons.append(f"{line.get('creditor', '?')} {money(payment)} ({left_out[index]})")
    counted_reports = reported - excluded
    counted = max(declared, counted_reports)
    calc["declared_liabilities"] = declared
    if data.credit:
        calc.update(bureau_monthly=reported, excluded_monthly=excluded)
    calc["liabilities_monthly"] = counted
    if counted_reports > declared:
        text = (
            f"Monthly debts counted: {money(counted)} from the credit reports, more than the {money(declared)} the "
            "application declares kept after closing. Correct the application's liabilities, or record why a "
            "tradeline does not count."
        )
    else:
        text = (
            f"Monthly debts counted: {money(counted)} declared on the application (kept after closing); the credit "
            f"reports show {money(counted_reports)}."
        )
    if reasons:
        text += f" Excluded by the underwriter: {'; '.join(reasons)}."
    checks.append(Message("debts", INFO, text))


def _warnings(data: AusInput, calc: dict) -> list[Message]:
    """Things an underwriter must look at that do not change the recommendation."""
    warnings = []
    for borrower in data.credit:
        bad = [t for t in borrower.tradelines if t.get("status") in DEROGATORY_STATUSES]
        if bad:
            listed = "; ".join(f"{t.get('creditor', '?')} ({t['status']})" for t in bad)
            warnings.append(
                Message(
                    "derogatory_credit",
                    WARNING,
                    f"{borrower.name}'s credit report shows derogatory tradelines: {listed}.",
                )
            )
    reported = calc.get("bureau_monthly", ZERO) - calc.get("excluded_monthly", ZERO)
    declared = calc["declared_liabilities"]
    if reported > declared:
        warnings.append(
            Message(
                "undisclosed_debt",
                WARNING,
                f"The credit reports show {money(reported)} a month of payments; the application declares "
                f"{money(declared)} kept after closing.",
            )
        )
    return warnings
