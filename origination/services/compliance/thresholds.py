"""Regulation Z's indexed dollar thresholds (QM price and points-and-fees limits, HOEPA triggers) and the APOR
table lookup they are measured against."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypedDict

from lending.finance.money import CONTEXT, HUNDRED, cents
from origination.models import AveragePrimeOfferRate

D = Decimal


class RegZThresholds(TypedDict):
    """The shape of REG_Z_THRESHOLDS: amounts in dollars, percentages and points as Decimals."""

    year: int
    qm_price_first_lien: tuple[tuple[Decimal, Decimal], ...]  # (from amount, points)
    qm_price_manufactured_home: tuple[Decimal, Decimal]  # (below amount, points)
    qm_price_subordinate_lien: tuple[tuple[Decimal, Decimal], ...]
    qm_points_and_fees: tuple[tuple[Decimal, Decimal | None, Decimal | None], ...]  # (from, percent, dollars)
    hoepa_apr_first_lien: Decimal
    hoepa_apr_personal_property: tuple[Decimal, Decimal]
    hoepa_apr_subordinate_lien: Decimal
    hoepa_points_and_fees_loan_amount: Decimal
    hoepa_points_and_fees_percent: Decimal
    hoepa_points_and_fees_small_percent: Decimal
    hoepa_points_and_fees_small_dollars: Decimal


# Dollar thresholds Regulation Z indexes every year, with the year they are for. CFPB annual adjustments,
# 88 FR 65113 (Sept. 21, 2023), effective Jan. 1, 2024 (comments 32(a)(1)(ii)-1, -3; 43(e)(2)(vi); 43(e)(3)(ii)).
# Loan-amount tiers use the loan amount; percentages apply to the total loan amount.
# Reg Z dollar thresholds in force for 2026 (CPI-adjusted yearly): CFPB final rule, 90 FR 57890 (Dec. 15, 2025),
# effective Jan. 1, 2026; the 2024 figures were 88 FR 65113. Update this table every January.
REG_Z_THRESHOLDS: RegZThresholds = {
    "year": 2026,
    # 1026.43(e)(2)(vi): a General QM's APR must exceed APOR by less than this many points (first lien)
    "qm_price_first_lien": ((D("137958"), D("2.25")), (D("82775"), D("3.5")), (D("0"), D("6.5"))),
    "qm_price_manufactured_home": (D("137958"), D("6.5")),  # first lien on a manufactured home below the amount
    "qm_price_subordinate_lien": ((D("82775"), D("3.5")), (D("0"), D("6.5"))),
    # 1026.43(e)(3)(i): the points-and-fees cap by loan amount: (from amount, percent of total loan amount, dollars)
    "qm_points_and_fees": (
        (D("137958"), D("3"), None),
        (D("82775"), None, D("4139")),
        (D("27592"), D("5"), None),
        (D("17245"), None, D("1380")),
        (D("0"), D("8"), None),
    ),
    # 1026.32(a)(1)(i): high-cost if the APR exceeds APOR by more than this many points
    "hoepa_apr_first_lien": D("6.5"),
    "hoepa_apr_personal_property": (D("50000"), D("8.5")),  # first lien on a dwelling that is personal property
    "hoepa_apr_subordinate_lien": D("8.5"),
    # 1026.32(a)(1)(ii): high-cost if points and fees exceed 5% (loan amount at least this), else 8% or the dollars
    "hoepa_points_and_fees_loan_amount": D("27592"),
    "hoepa_points_and_fees_percent": D("5"),
    "hoepa_points_and_fees_small_percent": D("8"),
    "hoepa_points_and_fees_small_dollars": D("1380"),
}


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return cents(CONTEXT.divide(CONTEXT.multiply(amount, percent), HUNDRED))


def qm_price_threshold(loan_amount: Decimal, *, manufactured_home: bool = False) -> Decimal:
    """1026.43(e)(2)(vi): the APR-APOR spread at or above which a first-lien loan is not a General QM."""
    below, manufactured_threshold = REG_Z_THRESHOLDS["qm_price_manufactured_home"]
    if manufactured_home and loan_amount < below:
        return manufactured_threshold
    return next(points for floor, points in REG_Z_THRESHOLDS["qm_price_first_lien"] if loan_amount >= floor)


def qm_points_and_fees_cap(loan_amount: Decimal, total_loan_amount: Decimal) -> Decimal:
    """1026.43(e)(3)(i): the most points and fees a QM may carry."""
    for floor, percent, dollars in REG_Z_THRESHOLDS["qm_points_and_fees"]:
        if loan_amount >= floor:
            return _percent_of(total_loan_amount, percent) if percent is not None else dollars  # type: ignore[return-value]  # a tier has one
    raise ValueError(f"loan_amount: {loan_amount} is negative")  # pragma: no cover


def hoepa_apr_trigger(loan_amount: Decimal, *, personal_property: bool = False) -> Decimal:
    """1026.32(a)(1)(i): a first-lien loan is high-cost if APR exceeds APOR by more than this."""
    below, points = REG_Z_THRESHOLDS["hoepa_apr_personal_property"]
    if personal_property and loan_amount < below:
        return points
    return REG_Z_THRESHOLDS["hoepa_apr_first_lien"]


def hoepa_points_and_fees_trigger(loan_amount: Decimal, total_loan_amount: Decimal) -> Decimal:
    """1026.32(a)(1)(ii): a loan is high-cost if its points and fees exceed this."""
    t = REG_Z_THRESHOLDS
    if loan_amount >= t["hoepa_points_and_fees_loan_amount"]:
        return _percent_of(total_loan_amount, t["hoepa_points_and_fees_percent"])
    return min(
        _percent_of(total_loan_amount, t["hoepa_points_and_fees_small_percent"]),
        t["hoepa_points_and_fees_small_dollars"],
    )


def apor_for(*, as_of: date, term_years: int, is_fixed: bool = True) -> AveragePrimeOfferRate | None:
    """The APOR row in effect on ``as_of`` (latest effective date not after it) for the nearest term."""
    rows = AveragePrimeOfferRate.objects.filter(is_fixed=is_fixed)
    latest = rows.filter(effective_date__lte=as_of).order_by("-effective_date").values("effective_date")[:1]
    candidates = list(rows.filter(effective_date__in=latest))
    if not candidates:
        return None
    return min(candidates, key=lambda row: (abs(row.term_years - term_years), row.term_years))
