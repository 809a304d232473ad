"""TRID waiting periods (12 CFR 1026.19(e), (f)): when a disclosure counts as received and the first day
consummation may follow it. Pure date rules over disclosure rows, shared by the workflow's guards and the
compliance checks.

Every period here counts specific business days (1026.2(a)(6), comment 2(a)(6)-2): all calendar days except
Sundays and the legal public holidays of 5 U.S.C. 6103(a) (lending.core.calendar.SPECIFIC). Only the Loan
Estimate's own 3-day deadline after the application counts the lender's general business days.

- Initial Loan Estimate: delivered or placed in the mail no later than the 7th business day before
  consummation (1026.19(e)(1)(iii)(B)); the wait runs from delivery or mailing, not from receipt (comment
  19(e)(1)(iii)-2).
- Revised Loan Estimate: received no later than the 4th business day before consummation, and never provided
  on or after the day the Closing Disclosure is provided (1026.19(e)(4)(ii)).
- Closing Disclosure: received no later than the 3rd business day before consummation (1026.19(f)(1)(ii)(A)).
- Receipt: the actual date when known, the same day in person, else presumed 3 business days after it was
  mailed or sent (the mailbox rule, 1026.19(e)(1)(iv), (f)(1)(iii)).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from lending.core import calendar

PRESUMED_RECEIPT_BUSINESS_DAYS = 3  # 1026.19(e)(1)(iv), (f)(1)(iii)
LE_WAITING_BUSINESS_DAYS = 7  # 1026.19(e)(1)(iii)(B)
REVISED_LE_RECEIPT_BUSINESS_DAYS = 4  # 1026.19(e)(4)(ii)
CD_WAITING_BUSINESS_DAYS = 3  # 1026.19(f)(1)(ii)(A)
IN_PERSON = "in_person"


class Sent(Protocol):
    issued_on: date
    delivery: str
    received_on: date | None


def received_on(disclosure: Sent) -> date:
    """Actual receipt, else the same day in person, else presumed 3 business days after it was sent."""
    if disclosure.received_on:
        return disclosure.received_on
    if disclosure.delivery == IN_PERSON:
        return disclosure.issued_on
    return calendar.add_business_days(disclosure.issued_on, PRESUMED_RECEIPT_BUSINESS_DAYS, calendar.SPECIFIC)


def after_initial_loan_estimate(initial: Sent) -> date:
    """The first day consummation may follow the initial Loan Estimate: the 7th business day after it was
    delivered or mailed."""
    return calendar.add_business_days(initial.issued_on, LE_WAITING_BUSINESS_DAYS, calendar.SPECIFIC)


def after_revised_loan_estimate(revised: Sent) -> date:
    """The first day consummation may follow a revised Loan Estimate: the 4th business day after its receipt."""
    return calendar.add_business_days(received_on(revised), REVISED_LE_RECEIPT_BUSINESS_DAYS, calendar.SPECIFIC)


def after_closing_disclosure(cd: Sent) -> date:
    """The first day consummation may follow a Closing Disclosure: the 3rd business day after its receipt."""
    return calendar.add_business_days(received_on(cd), CD_WAITING_BUSINESS_DAYS, calendar.SPECIFIC)


def after_loan_estimates(loan_estimates: Sequence[Sent]) -> date | None:
    """The first day consummation may follow every Loan Estimate (oldest first: the first is the initial one,
    the others revisions), or None when none was issued."""
    if not loan_estimates:
        return None
    initial, *revised = loan_estimates
    return max([after_initial_loan_estimate(initial), *(after_revised_loan_estimate(le) for le in revised)])


def allowed_from(day: date) -> str:
    """How the workspace and the guards say it: "closing allowed from Tue Dec 15, 2026"."""
    return f"closing allowed from {day:%a %b} {day.day}, {day.year}"
