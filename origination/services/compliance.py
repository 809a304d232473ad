"""Compliance checks: each a small named function returning (result, explanation, details), stored per application.

Checks run on the transitions that need fresh results (registered in REFRESH_BEFORE_TRANSITION_HOOKS below), and after
every change to the disclosures or the closing date. A failing check blocks clear_to_close and close through
the workflow's ``compliance_passes`` guard. Results are pass, fail or n/a; "not due yet" is n/a, with the date
by which it will be due in the explanation.

Simplifications, said once: every mortgage is a fixed-rate first lien (no ARM, no subordinate-lien products);
the rate is set on the application date (there is no rate lock yet); the "total loan amount" of 1026.32(b)(4) is
the amount financed (no points and fees are financed separately); there are no prepayment penalties.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypedDict

from django.db import transaction
from django.utils import timezone

from lending.core import calendar
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization, apr
from lending.finance.money import CONTEXT, HUNDRED, cents
from origination.models import (
    Application,
    AveragePrimeOfferRate,
    ComplianceCheck,
    Disclosure,
    ProductFee,
    Property,
    UnderwritingFinding,
)
from origination.services.disclosures import DisclosureError, LoanFigures, disclosure_received_on, figures_for
from origination.services.workflow import REFRESH_BEFORE_TRANSITION_HOOKS

PASS, FAIL, NA = ComplianceCheck.Result.PASS, ComplianceCheck.Result.FAIL, ComplianceCheck.Result.NOT_APPLICABLE
LE_BUSINESS_DAYS = 3  # 1026.19(e)(1)(iii)(A): general business days after the application
CD_BUSINESS_DAYS = 3  # 1026.19(f)(1)(ii)(A): specific business days before consummation
QM_MAX_TERM_YEARS = 30  # 1026.43(e)(2)(ii)
D = Decimal


# Dollar thresholds Regulation Z indexes every year, with the year they are for. CFPB annual adjustments,
# 88 FR 65113 (Sept. 21, 2023), effective Jan. 1, 2024 (comments 32(a)(1)(ii)-1, -3; 43(e)(2)(vi); 43(e)(3)(ii)).
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
CHECK_TITLES = {
    "le_timing": "Loan Estimate delivered within 3 business days of the application (1026.19(e)(1)(iii))",
    "cd_timing": "Closing Disclosure received 3 business days before consummation (1026.19(f)(1)(ii))",
    "apr_tolerance": "Disclosed APR within tolerance of the recomputed APR (1026.22(a))",
    "atr_qm": "Ability to repay: General Qualified Mortgage (1026.43)",
    "hoepa": "Not a high-cost mortgage (HOEPA, 1026.32)",
}


class CheckOutcome(NamedTuple):
    result: str
    explanation: str
    details: dict[str, Any]


@dataclass
class CheckContext:
    """What the checks read, loaded once per run."""

    application: Application
    today: date
    fees: list[ProductFee]
    loan_estimates: list[Disclosure]  # oldest first
    closing_disclosures: list[Disclosure]  # oldest first
    finding: UnderwritingFinding | None
    property: Property | None
    _figures: dict[date, LoanFigures] = field(default_factory=dict)
    _apor: dict[str, AveragePrimeOfferRate | None] = field(default_factory=dict)

    @builtins.property  # the `property` field hides the builtin in this class
    def is_mortgage(self) -> bool:
        return self.application.product.kind == "mortgage"

    @builtins.property  # the `property` field hides the builtin in this class
    def kind_label(self) -> str:
        return self.application.product.get_kind_display().lower()

    @builtins.property  # the `property` field hides the builtin in this class
    def latest_disclosure(self) -> Disclosure | None:
        chosen = self.closing_disclosures or self.loan_estimates
        return chosen[-1] if chosen else None

    def figures(self, fallback: date | None = None) -> LoanFigures:
        """The figures from the current terms; the advance date is the closing date, else ``fallback`` (the
        latest disclosure's issue date, else today). Raises DisclosureError."""
        if fallback is None:
            latest = self.latest_disclosure
            fallback = latest.issued_on if latest else self.today
        if fallback not in self._figures:
            self._figures[fallback] = figures_for(self.application, fallback, fees=self.fees)
        return self._figures[fallback]

    @builtins.property  # the `property` field hides the builtin in this class
    def rate_set_on(self) -> date:
        return self.application.application_date or self.today

    @builtins.property  # the `property` field hides the builtin in this class
    def term_years(self) -> int:
        product = self.application.product
        per_year = amortization.FREQUENCIES.get(product.payment_frequency, 12)
        return max(1, round(product.term_periods / per_year))

    def apor(self) -> AveragePrimeOfferRate | None:
        if "row" not in self._apor:
            self._apor["row"] = apor_for(as_of=self.rate_set_on, term_years=self.term_years)
        return self._apor["row"]

    @builtins.property  # the `property` field hides the builtin in this class
    def is_manufactured_home(self) -> bool:
        return self.property is not None and self.property.property_type == "manufactured"


# --- thresholds ------------------------------------------------------------------------------------------


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


def _latest_receipt_for(consummation: date) -> date:
    """The last day a disclosure can be received and still allow consummation on ``consummation``."""
    day = consummation
    while calendar.add_business_days(day, CD_BUSINESS_DAYS, calendar.SPECIFIC) > consummation:
        day -= timedelta(days=1)
    return day


def _latest_mailing_for(receipt: date) -> date:
    day = receipt
    while calendar.add_business_days(day, 3, calendar.SPECIFIC) > receipt:
        day -= timedelta(days=1)
    return day


# --- the checks ------------------------------------------------------------------------------------------


def _not_a_mortgage(ctx: CheckContext, rule: str) -> CheckOutcome:
    return CheckOutcome(
        NA, f"{rule} covers consumer credit secured by a dwelling; this is a {ctx.kind_label} loan.", {}
    )


def le_timing(ctx: CheckContext) -> CheckOutcome:
    """1026.19(e)(1)(iii): the Loan Estimate is delivered or mailed by the 3rd general business day after the
    application. Not required when the application is denied or withdrawn first."""
    app = ctx.application
    if not ctx.is_mortgage:
        return _not_a_mortgage(ctx, "The Loan Estimate rule (1026.19(e))")
    if app.application_date is None:
        return CheckOutcome(
            NA, "No application yet (the six TRID items are incomplete): the clock has not started.", {}
        )
    deadline = calendar.add_business_days(app.application_date, LE_BUSINESS_DAYS, calendar.GENERAL)
    details = {"application_date": str(app.application_date), "deadline": str(deadline)}
    if not ctx.loan_estimates:
        if app.status in ("denied", "withdrawn"):
            return CheckOutcome(
                NA, f"No Loan Estimate needed: the application was {app.get_status_display()}.", details
            )
        if ctx.today > deadline:
            return CheckOutcome(
                FAIL,
                f"No Loan Estimate was issued by {deadline}, the 3rd business day after the application on "
                f"{app.application_date}.",
                details,
            )
        return CheckOutcome(NA, f"Loan Estimate not issued yet; it is due by {deadline}.", details)
    first = ctx.loan_estimates[0]
    details["issued_on"] = str(first.issued_on)
    if first.issued_on <= deadline:
        return CheckOutcome(
            PASS,
            f"Loan Estimate issued {first.issued_on}, by the deadline {deadline} (3rd business day after the "
            f"application on {app.application_date}).",
            details,
        )
    return CheckOutcome(
        FAIL,
        f"Loan Estimate issued {first.issued_on}, after the deadline {deadline} (3rd business day after the "
        f"application on {app.application_date}).",
        details,
    )


def cd_timing(ctx: CheckContext) -> CheckOutcome:
    """1026.19(f)(1)(ii): the Closing Disclosure is received (actually, or presumed 3 specific business days
    after mailing or e-mail, 1026.19(f)(1)(iii)) at least 3 specific business days before consummation.

    n/a until a closing date is set; then n/a while a CD can still be received in time, and a failure once it
    cannot, or once the latest CD's receipt is too late. The latest CD counts (a corrected CD restarts the wait
    in the cases of 1026.19(f)(2)(ii); counting the latest always is the stricter reading)."""
    app = ctx.application
    if not ctx.is_mortgage:
        return _not_a_mortgage(ctx, "The Closing Disclosure rule (1026.19(f))")
    closing = app.closing_date
    if closing is None:
        return CheckOutcome(NA, "No closing date yet: checked once closing is scheduled.", {})
    receive_by = _latest_receipt_for(closing)
    details = {"closing_date": str(closing), "receive_by": str(receive_by)}
    if not ctx.closing_disclosures:
        if ctx.today > receive_by:
            return CheckOutcome(
                FAIL,
                f"No Closing Disclosure issued, and one issued now cannot be received 3 business days before the "
                f"closing on {closing} (it had to be received by {receive_by}): move the closing date.",
                details,
            )
        mail_by = _latest_mailing_for(receive_by)
        return CheckOutcome(
            NA,
            f"Closing Disclosure not issued yet: for the closing on {closing} it must be received by {receive_by} "
            f"(in person that day, or mailed or e-mailed by {mail_by}).",
            details | {"mail_by": str(mail_by)},
        )
    cd = ctx.closing_disclosures[-1]
    received = disclosure_received_on(cd)
    how = "received" if cd.received_on else "presumed received"
    earliest = calendar.add_business_days(received, CD_BUSINESS_DAYS, calendar.SPECIFIC)
    details |= {"issued_on": str(cd.issued_on), "received_on": str(received), "earliest_consummation": str(earliest)}
    text = f"Closing Disclosure of {cd.issued_on} {how} {received}; consummation allowed from {earliest}"
    if closing >= earliest:
        return CheckOutcome(PASS, f"{text}; closing on {closing}.", details)
    return CheckOutcome(FAIL, f"{text}, after the scheduled closing on {closing}.", details)


def apr_tolerance(ctx: CheckContext) -> CheckOutcome:
    """1026.22(a)(2)/(3): the APR on the latest Closing Disclosure (or Loan Estimate, before any CD) is within
    1/8 point (regular transaction) or 1/4 point (irregular) of the APR recomputed from the current terms."""
    disclosure = ctx.latest_disclosure
    if disclosure is None:
        return CheckOutcome(NA, "No Loan Estimate or Closing Disclosure issued yet: no APR has been disclosed.", {})
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
        return _not_a_mortgage(ctx, "The ability-to-repay rule (1026.43)")
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
    return CheckOutcome(
        PASS,
        # No problems: the spread, the APOR row and the finding are all there.
        f"General QM: APR {figures.disclosed_apr}% is {spread.quantize(D('0.001'))} points over APOR "  # type: ignore[union-attr]
        f"{apor_row.rate:.3f}% (under {threshold}); points and fees ${figures.points_and_fees:,} within the "  # type: ignore[union-attr]
        f"${cap:,} cap; DTI {ctx.finding.back_dti:.2f}% considered ({REG_Z_THRESHOLDS['year']} thresholds).",  # type: ignore[union-attr]
        details,
    )


def hoepa(ctx: CheckContext) -> CheckOutcome:
    """1026.32(a)(1): high-cost if the APR exceeds APOR by more than 6.5 points (8.5 for a small loan on a
    dwelling that is personal property), or points and fees exceed 5% of the total loan amount (8% or the
    dollar figure below the threshold amount). Prepayment penalties ((a)(1)(iii)) are not offered. Failing
    means high-cost: this lender does not make high-cost mortgages."""
    if not ctx.is_mortgage:
        return _not_a_mortgage(ctx, "HOEPA (1026.32)")
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


CHECKS = (
    ("le_timing", le_timing),
    ("cd_timing", cd_timing),
    ("apr_tolerance", apr_tolerance),
    ("atr_qm", atr_qm),
    ("hoepa", hoepa),
)


# --- running them ----------------------------------------------------------------------------------------


def check_context(application: Application, today: date) -> CheckContext:
    disclosures = list(application.disclosures.order_by("issued_on", "id"))
    return CheckContext(
        application=application,
        today=today,
        fees=list(application.product.fees.all()),
        loan_estimates=[d for d in disclosures if d.kind == Disclosure.Kind.LOAN_ESTIMATE],
        closing_disclosures=[d for d in disclosures if d.kind == Disclosure.Kind.CLOSING_DISCLOSURE],
        finding=application.findings.order_by("-run_at", "-id").first(),
        property=Property.objects.filter(application=application).first(),
    )


@transaction.atomic
def compliance_run(
    *, application: Application, actor: User | None = None, today: date | None = None
) -> list[ComplianceCheck]:
    """Run every check, store one ComplianceCheck per code (insert or update) and audit the run as one event.
    Returns the results in CHECKS order."""
    ctx = check_context(application, today or timezone.localdate())
    previous = dict(application.compliance_checks.values_list("code", "result"))
    now = timezone.now()
    rows = []
    for code, check in CHECKS:
        outcome = check(ctx)
        rows.append(
            ComplianceCheck(
                application=application,
                code=code,
                result=outcome.result,
                explanation=outcome.explanation,
                details=outcome.details,
                run_at=now,
            )
        )
    ComplianceCheck.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["application", "code"],
        update_fields=["result", "explanation", "details", "run_at"],
    )
    audit_record(
        actor=actor,
        verb="compliance.run",
        target=application,
        before=previous,
        after={row.code: row.result for row in rows},
    )
    return rows


def _run_before_transition(application: Application, actor: User) -> None:
    compliance_run(application=application, actor=actor)


# Fresh results before the guards that read them (clear_to_close, close); informational on the earlier steps.
for _name in ("submit", "send_to_underwriting", "clear_to_close", "close"):
    _hooks = REFRESH_BEFORE_TRANSITION_HOOKS.setdefault(_name, [])
    if _run_before_transition not in _hooks:
        _hooks.append(_run_before_transition)
