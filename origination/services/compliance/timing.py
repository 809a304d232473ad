"""When disclosures are due and how long consummation waits for them (12 CFR 1026.19(e), (f))."""

from __future__ import annotations

from datetime import date, timedelta

from lending.core import calendar
from origination.services.compliance.context import FAIL, NA, PASS, CheckContext, CheckOutcome, not_a_mortgage
from origination.services.figures import disclosure_received_on

LE_BUSINESS_DAYS = 3  # 1026.19(e)(1)(iii)(A): general business days after the application
CD_BUSINESS_DAYS = 3  # 1026.19(f)(1)(ii)(A): specific business days before consummation


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
    earliest = calendar.add_business_days(received, CD_BUSINESS_DAYS, calendar.SPECIFIC)
    details |= {"issued_on": str(cd.issued_on), "received_on": str(received), "earliest_consummation": str(earliest)}
    text = f"Closing Disclosure of {cd.issued_on} {how} {received}; consummation allowed from {earliest}"
    if closing >= earliest:
        return CheckOutcome(PASS, f"{text}; closing on {closing}.", details)
    return CheckOutcome(FAIL, f"{text}, after the scheduled closing on {closing}.", details)
