"""When disclosures are due and how long consummation waits for them (12 CFR 1026.19(e), (f))."""

from __future__ import annotations

from datetime import date, timedelta

from lending.core import calendar
from origination import trid
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
from origination.services.figures import disclosure_received_on

LE_BUSINESS_DAYS = 3  # 1026.19(e)(1)(iii)(A): general business days after the application
CD_BUSINESS_DAYS = trid.CD_WAITING_BUSINESS_DAYS  # 1026.19(f)(1)(ii)(A): specific business days before consummation


def _latest_receipt_for(consummation: date) -> date:
    """The last day a disclosure can be received and still allow consummation on ``consummation``."""
    day = consummation
    while calendar.add_business_days(day, CD_BUSINESS_DAYS, calendar.SPECIFIC) > consummation:
        day -= timedelta(days=1)
    return day


def _latest_mailing_for(receipt: date) -> date:
    day = receipt
    while calendar.add_business_days(day, trid.PRESUMED_RECEIPT_BUSINESS_DAYS, calendar.SPECIFIC) > receipt:
        day -= timedelta(days=1)
    return day


def le_timing(ctx: CheckContext) -> CheckOutcome:
    """1026.19(e)(1)(iii): the Loan Estimate is delivered or mailed by the 3rd general business day after the
    application. Not required when the application is denied or withdrawn first."""
    app = ctx.application
    if not ctx.is_mortgage:
        return not_a_mortgage(ctx, "The Loan Estimate rule (1026.19(e))")
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
        return not_a_mortgage(ctx, "The Closing Disclosure rule (1026.19(f))")
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
    earliest = trid.after_closing_disclosure(cd)
    details |= {"issued_on": str(cd.issued_on), "received_on": str(received), "earliest_consummation": str(earliest)}
    text = f"Closing Disclosure of {cd.issued_on} {how} {received}; {trid.allowed_from(earliest)}"
    if closing >= earliest:
        return CheckOutcome(PASS, f"{text}; closing on {closing}.", details)
    return CheckOutcome(FAIL, f"{text}, after the scheduled closing on {closing}.", details)


def _after_le_issued_on(day: date) -> date:
    return calendar.add_business_days(day, trid.LE_WAITING_BUSINESS_DAYS, calendar.SPECIFIC)


def le_waiting_period(ctx: CheckContext) -> CheckOutcome:
    """1026.19(e)(1)(iii)(B): the initial Loan Estimate is delivered or placed in the mail no later than the 7th
    specific business day before consummation; the wait runs from delivery or mailing, not receipt.

    n/a until there is both a Loan Estimate and a closing date (with the first allowed date once there is a
    Loan Estimate); a failure when the scheduled closing comes too soon."""
    app = ctx.application
    if not ctx.is_mortgage:
        return not_a_mortgage(ctx, "The Loan Estimate waiting period (1026.19(e)(1)(iii)(B))")
    closing = app.closing_date
    if not ctx.loan_estimates:
        details = {"closing_date": str(closing)} if closing else {}
        if closing and _after_le_issued_on(ctx.today) > closing:
            return CheckOutcome(
                FAIL,
                f"No Loan Estimate issued, and one issued today would not allow the closing on {closing} "
                f"(consummation waits 7 business days after it is delivered or mailed): move the closing date.",
                details,
            )
        return CheckOutcome(
            NA, "No Loan Estimate issued yet: consummation waits 7 business days after it is delivered or mailed.", {}
        )
    initial = ctx.loan_estimates[0]
    earliest = trid.after_initial_loan_estimate(initial)
    details = {"issued_on": str(initial.issued_on), "earliest_consummation": str(earliest)}
    text = f"Loan Estimate delivered or mailed {initial.issued_on}; {trid.allowed_from(earliest)}"
    if closing is None:
        return CheckOutcome(NA, f"{text}; no closing date yet.", details)
    details["closing_date"] = str(closing)
    if closing >= earliest:
        return CheckOutcome(PASS, f"{text}; closing on {closing}.", details)
    return CheckOutcome(FAIL, f"{text}, after the scheduled closing on {closing}: move the closing date.", details)


def revised_le_timing(ctx: CheckContext) -> CheckOutcome:
    """1026.19(e)(4)(ii): a revised Loan Estimate is received (actually, or presumed 3 specific business days
    after it was sent) no later than the 4th specific business day before consummation, and is never provided on
    or after the day the Closing Disclosure is provided (delivered or mailed)."""
    app = ctx.application
    if not ctx.is_mortgage:
        return not_a_mortgage(ctx, "The revised Loan Estimate rule (1026.19(e)(4)(ii))")
    revised = ctx.loan_estimates[1:]
    if not revised:
        return CheckOutcome(NA, "No revised Loan Estimate.", {})
    latest = revised[-1]
    received = trid.received_on(latest)
    earliest = max(trid.after_revised_loan_estimate(le) for le in revised)
    details = {"issued_on": str(latest.issued_on), "received_on": str(received), "earliest_consummation": str(earliest)}
    problems = []
    if ctx.closing_disclosures:
        cd_on = ctx.closing_disclosures[0].issued_on
        after_cd = [le for le in revised if le.issued_on >= cd_on]
        if after_cd:
            details["closing_disclosure_issued_on"] = str(cd_on)
            problems.append(
                f"a revised Loan Estimate was issued {after_cd[0].issued_on}, on or after the Closing Disclosure of "
                f"{cd_on} (correct the Closing Disclosure instead)"
            )
    how = "received" if latest.received_on or latest.delivery == trid.IN_PERSON else "presumed received"
    text = f"Revised Loan Estimate of {latest.issued_on} {how} {received}; {trid.allowed_from(earliest)}"
    closing = app.closing_date
    if closing is not None:
        details["closing_date"] = str(closing)
        if closing < earliest:
            problems.append(f"it is not received 4 business days before the scheduled closing on {closing}")
    if problems:
        return CheckOutcome(FAIL, f"{text}; " + "; ".join(problems) + ".", details)
    if closing is None:
        return CheckOutcome(NA, f"{text}; no closing date yet.", details)
    return CheckOutcome(PASS, f"{text}; closing on {closing}.", details)


def til_timing(ctx: CheckContext) -> CheckOutcome:
    """1026.17(b), 1026.18: a closed-end consumer loan other than a mortgage gets the Truth in Lending disclosure
    (APR, finance charge, amount financed, total of payments, payment schedule) before consummation. n/a while it
    can still be given; a failure once consummation passed without one, or when the latest is dated after it."""
    rule = ctx.disclosure_rule
    if rule == DisclosureRule.NONE:
        return exempt_business_credit(ctx)
    if rule == DisclosureRule.TRID:
        return CheckOutcome(NA, "A mortgage gets the Loan Estimate and Closing Disclosure instead (TRID).", {})
    closing = ctx.application.closing_date
    details = {"closing_date": str(closing)} if closing else {}
    if not ctx.truth_in_lending:
        if closing is not None and ctx.today > closing:
            return CheckOutcome(
                FAIL, f"No Truth in Lending disclosure was given before the consummation on {closing}.", details
            )
        due = f"before the consummation on {closing}" if closing else "before consummation"
        return CheckOutcome(NA, f"Truth in Lending disclosure not given yet: it is due {due}.", details)
    latest = ctx.truth_in_lending[-1]
    details["issued_on"] = str(latest.issued_on)
    if closing is None:
        return CheckOutcome(
            PASS, f"Truth in Lending disclosure given {latest.issued_on}; no closing date yet.", details
        )
    if latest.issued_on > closing:
        return CheckOutcome(
            FAIL,
            f"The Truth in Lending disclosure of {latest.issued_on} is dated after the consummation on {closing}.",
            details,
        )
    return CheckOutcome(
        PASS, f"Truth in Lending disclosure given {latest.issued_on}, before the consummation on {closing}.", details
    )
