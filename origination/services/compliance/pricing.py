"""Checks on the loan's price: the disclosed APR's accuracy (1026.22), ability to repay as a General QM (1026.43)
and high-cost mortgages (HOEPA, 1026.32)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lending.finance import apr
from origination.models.choices import DisclosureRule
from origination.services.compliance.context import (
    FAIL,
    NA,
    PASS,
    CheckContext,
    CheckOutcome,
    exempt_business_credit,
    not_a_mortgage,
)
from origination.services.compliance.thresholds import (
    REG_Z_THRESHOLDS,
    hoepa_apr_trigger,
    hoepa_points_and_fees_trigger,
    qm_points_and_fees_cap,
    qm_price_threshold,
)
from origination.services.figures import DisclosureError

QM_MAX_TERM_YEARS = 30  # 1026.43(e)(2)(ii)
D = Decimal


def apr_tolerance(ctx: CheckContext) -> CheckOutcome:
    """1026.22(a)(2)/(3): the APR on the latest Closing Disclosure (or Loan Estimate, before any CD) is within
    1/8 point (regular transaction) or 1/4 point (irregular) of the APR recomputed from the current terms; for a
    consumer loan other than a mortgage, the APR on its latest Truth in Lending disclosure."""
    if ctx.disclosure_rule == DisclosureRule.NONE:
        return exempt_business_credit(ctx)
    disclosure = ctx.latest_disclosure
    if disclosure is None:
        return CheckOutcome(NA, "No disclosure issued yet: no APR has been disclosed.", {})
    try:
        figures = ctx.figures(disclosure.issued_on)
    except DisclosureError as exc:
        return CheckOutcome(FAIL, f"The APR cannot be recomputed: {exc}", {})
    tolerance = apr.REGULAR_TOLERANCE if figures.regular else apr.IRREGULAR_TOLERANCE
    difference = disclosure.apr - figures.apr
    details = {
        "disclosure": disclosure.kind,
        "issued_on": str(disclosure.issued_on),
        "disclosed_apr": str(disclosure.apr),
        "recomputed_apr": str(figures.disclosed_apr),
        "difference": str(difference.quantize(D("0.001"))),
        "tolerance": str(tolerance),
        "regular": figures.regular,
    }
    text = (
        f"APR on the {disclosure.get_kind_display()} of {disclosure.issued_on}: {disclosure.apr:.3f}%; "
        f"recomputed from the current terms: {figures.disclosed_apr}%; tolerance {tolerance} point "
        f"({'regular' if figures.regular else 'irregular'} transaction)"
    )
    if apr.apr_within_tolerance(disclosure.apr, figures.apr, figures.regular):
        return CheckOutcome(PASS, f"{text}.", details)
    return CheckOutcome(
        FAIL, f"{text}: outside tolerance. Issue a corrected Closing Disclosure (a new 3-day wait applies).", details
    )


def _no_apor(ctx: CheckContext) -> str:
    return (
        f"APOR table has no rate for a {ctx.term_years}-year fixed loan effective on or before {ctx.rate_set_on}: "
        "add it in the admin."
    )


def atr_qm(ctx: CheckContext) -> CheckOutcome:
    """1026.43: this lender makes General QMs only (price-based definition, 1026.43(e)(2)): debt-to-income
    considered ((e)(2)(v)), regular payments and a term of 30 years at most ((e)(2)(i), (ii)), points and fees
    within the cap ((e)(3)) and an APR less than the threshold over APOR ((e)(2)(vi))."""
    if not ctx.is_mortgage:
        return not_a_mortgage(ctx, "The ability-to-repay rule (1026.43)")
    product = ctx.application.product
    problems: list[str] = []
    details: dict[str, Any] = {"thresholds_year": REG_Z_THRESHOLDS["year"]}
    if ctx.finding is None or ctx.finding.back_dti is None:
        problems.append("no underwriting findings with a debt-to-income ratio: DTI was not considered")
    else:
        details["back_dti"] = str(ctx.finding.back_dti)
    if product.amortization in ("interest_only", "balloon"):
        problems.append(f"{product.get_amortization_display().lower()} payments are not allowed in a QM")
    if ctx.term_years > QM_MAX_TERM_YEARS:
        problems.append(f"the term of {ctx.term_years} years is over the QM maximum of {QM_MAX_TERM_YEARS}")
    try:
        figures = ctx.figures()
    except DisclosureError as exc:
        return CheckOutcome(FAIL, f"Not verifiable: {exc}", details)
    cap = qm_points_and_fees_cap(figures.loan_amount, figures.amount_financed)
    details |= {"points_and_fees": str(figures.points_and_fees), "points_and_fees_cap": str(cap)}
    if figures.points_and_fees > cap:
        problems.append(f"points and fees ${figures.points_and_fees:,} exceed the QM cap of ${cap:,}")
    apor_row = ctx.apor()
    threshold = qm_price_threshold(figures.loan_amount, manufactured_home=ctx.is_manufactured_home)
    details |= {"apr": str(figures.disclosed_apr), "price_threshold": str(threshold)}
    if apor_row is None:
        problems.append(_no_apor(ctx))
        spread = None
    else:
        spread = figures.apr - apor_row.rate
        details |= {
            "apor": str(apor_row.rate),
            "apor_effective_date": str(apor_row.effective_date),
            "apor_term_years": apor_row.term_years,
            "spread": str(spread.quantize(D("0.001"))),
        }
        if spread >= threshold:
            problems.append(
                f"the APR {figures.disclosed_apr}% is {spread.quantize(D('0.001'))} points over APOR "
                f"{apor_row.rate:.3f}% (must be under {threshold})"
            )
    if problems:
        return CheckOutcome(FAIL, "Not a General QM: " + "; ".join(problems) + ".", details)
    # No problems: the spread, the APOR row and the finding's DTI are all there.
    assert spread is not None
    assert apor_row is not None
    assert ctx.finding is not None
    return CheckOutcome(
        PASS,
        f"General QM: APR {figures.disclosed_apr}% is {spread.quantize(D('0.001'))} points over APOR "
        f"{apor_row.rate:.3f}% (under {threshold}); points and fees ${figures.points_and_fees:,} within the "
        f"${cap:,} cap; DTI {ctx.finding.back_dti:.2f}% considered ({REG_Z_THRESHOLDS['year']} thresholds).",
        details,
    )


def hoepa(ctx: CheckContext) -> CheckOutcome:
    """1026.32(a)(1): high-cost if the APR exceeds APOR by more than 6.5 points (8.5 for a small loan on a
    dwelling that is personal property), or points and fees exceed 5% of the total loan amount (8% or the
    dollar figure below the threshold amount). Prepayment penalties ((a)(1)(iii)) are not offered. Failing
    means high-cost: this lender does not make high-cost mortgages."""
    if not ctx.is_mortgage:
        return not_a_mortgage(ctx, "HOEPA (1026.32)")
    if ctx.property is not None and ctx.property.occupancy != "primary":
        return CheckOutcome(
            NA, f"HOEPA covers the borrower's principal dwelling; this is a {ctx.property.get_occupancy_display()}.", {}
        )
    try:
        figures = ctx.figures()
    except DisclosureError as exc:
        return CheckOutcome(FAIL, f"Not verifiable: {exc}", {})
    apor_row = ctx.apor()
    if apor_row is None:
        return CheckOutcome(FAIL, _no_apor(ctx), {})
    # Manufactured homes stand in for dwellings that are personal property (title is not tracked).
    apr_trigger = hoepa_apr_trigger(figures.loan_amount, personal_property=ctx.is_manufactured_home)
    fee_trigger = hoepa_points_and_fees_trigger(figures.loan_amount, figures.amount_financed)
    spread = figures.apr - apor_row.rate
    details = {
        "thresholds_year": REG_Z_THRESHOLDS["year"],
        "apr": str(figures.disclosed_apr),
        "apor": str(apor_row.rate),
        "spread": str(spread.quantize(D("0.001"))),
        "apr_trigger": str(apr_trigger),
        "points_and_fees": str(figures.points_and_fees),
        "points_and_fees_trigger": str(fee_trigger),
        "prepayment_penalty": "none offered",
    }
    triggers = []
    if spread > apr_trigger:
        triggers.append(f"the APR is {details['spread']} points over APOR (trigger: more than {apr_trigger})")
    if figures.points_and_fees > fee_trigger:
        triggers.append(f"points and fees ${figures.points_and_fees:,} exceed ${fee_trigger:,}")
    if triggers:
        return CheckOutcome(
            FAIL, "High-cost mortgage: " + "; ".join(triggers) + ". This lender does not make HOEPA loans.", details
        )
    return CheckOutcome(
        PASS,
        f"Not high-cost: APR {details['spread']} points over APOR (trigger over {apr_trigger}); points and fees "
        f"${figures.points_and_fees:,} (trigger over ${fee_trigger:,}); no prepayment penalty.",
        details,
    )
