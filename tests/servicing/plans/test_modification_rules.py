"""Modification rules at their edges: the rate and term bounds, refusals word for word, the maturity as a due
date, a trial with exactly three installments left, the projection following the loan's own payment
frequency, and what the agreement says and who made it.

The loan (tests.servicing.factories.boarded_loan): $300,000 at 6.5% over 360 months from Jan 1 2027 (last due
Dec 1 2056), escrow $525.00 a month; approved on Feb 16 2027 the trial is Mar 1, Apr 1, May 1 and the new schedule
starts Jun 1 2027. Nothing has accrued, and escrow holds $1,050.00: the new principal is $300,000.00.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import BorrowerDocument, LoanAccount, LoanModification
from servicing.services import plans
from servicing.services.modification import (
    modification_approve,
    modification_cancel,
    modification_figures,
    modification_propose,
)
from servicing.services.plans import PlanError
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import APPROVED

pytestmark = pytest.mark.django_db
D = Decimal
JUN = date(2027, 6, 1)
RATE_REFUSED = "Enter a rate from 0 to 30%, with at most four decimals."
TERM_REFUSED = "Enter from 1 to 1600 installments."


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(plans, "_today", lambda: APPROVED)


def _propose(loan, collector, rate="5", **term):
    return modification_propose(actor=collector, loan=loan, new_rate=rate if rate is None else D(rate), **term)


@pytest.mark.parametrize(
    ("rate", "payment"),
    [
        # 0 %: 300,000.00 / 360 = 833.333... -> 833.33 a month.
        ("0", D("833.33")),
        # 30 %: r = 0.025, 1.025 ** 360 = 7,254.2337; 300,000 * 0.025 * 7,254.2337 / 7,253.2337 = 7,501.034 -> 7,501.03.
        ("30", D("7501.03")),
    ],
)
def test_a_rate_from_zero_to_thirty_percent_is_accepted_at_both_ends(loan, collector, rate, payment):
    proposal = _propose(loan, collector, rate, term_periods=360)
    assert (proposal.new_rate, proposal.new_payment) == (D(rate), payment)


@pytest.mark.parametrize("rate", [None, "abc", "NaN", "Infinity", "-0.0001", "30.0001", "4.12345"])
def test_a_rate_that_is_not_a_rate_is_refused_in_words_on_its_field(loan, collector, rate):
    with pytest.raises(PlanError) as refused:
        modification_propose(actor=collector, loan=loan, new_rate=rate, term_periods=360)
    assert (str(refused.value), refused.value.field) == (RATE_REFUSED, "new_rate")
    assert not LoanModification.objects.exists()


@pytest.mark.parametrize(
    ("term", "payment", "maturity"),
    [
        # One installment: 300,000.00 + a month's interest 300,000.00 * 5 / 1,200 = 1,250.00 -> 301,250.00, Jun 1.
        (1, D("301250.00"), JUN),
        # 1,600: 1.0041667 ** 1,600 = 774.96374; 300,000 * (5 / 1,200) * 774.96374 / 773.96374 = 1,251.615 -> 1,251.62;
        # the 1,600th due date from Jun 1 2027 is 1,599 months later: Sep 1 2160.
        (1600, D("1251.62"), date(2160, 9, 1)),
    ],
)
def test_a_term_from_one_to_1600_installments_is_accepted_at_both_ends(loan, collector, term, payment, maturity):
    proposal = _propose(loan, collector, term_periods=term)
    assert (proposal.term_periods, proposal.new_payment, proposal.maturity_date) == (term, payment, maturity)


@pytest.mark.parametrize("term", [0, 1601, True, "360", 360.0])
def test_a_term_that_is_not_a_whole_number_of_installments_is_refused_in_words(loan, collector, term):
    with pytest.raises(PlanError) as refused:
        _propose(loan, collector, term_periods=term)
    assert (str(refused.value), refused.value.field) == (TERM_REFUSED, "term_periods")
    assert not LoanModification.objects.exists()


def test_a_maturity_on_the_first_new_due_date_is_a_one_installment_term(loan, collector):
    proposal = _propose(loan, collector, maturity_date=JUN)
    # 300,000.00 + 1,250.00 interest, all due Jun 1 2027.
    assert (proposal.term_periods, proposal.new_payment, proposal.maturity_date) == (1, D("301250.00"), JUN)


def test_a_maturity_before_the_first_new_due_date_is_refused_naming_that_date(loan, collector):
    with pytest.raises(PlanError) as refused:
        _propose(loan, collector, maturity_date=date(2027, 5, 31))
    assert str(refused.value) == "The maturity must be on or after the first new due date, Jun 01, 2027."
    assert refused.value.field == "maturity_date"


def test_the_maturity_may_be_the_1600th_due_date_but_not_the_1601st(loan, collector):
    # Jun 1 2027 + 1,599 months = Sep 1 2160 (the 1,600th); + 1,600 months = Oct 1 2160 (the 1,601st).
    assert _propose(loan, collector, maturity_date=date(2160, 9, 1)).term_periods == 1600
    LoanModification.objects.all().delete()
    with pytest.raises(PlanError) as refused:
        _propose(loan, collector, maturity_date=date(2160, 10, 1))
    assert str(refused.value) == "The maturity must be one of the loan's due dates, within 1,600 installments."
    assert refused.value.field == "maturity_date"


def test_a_trial_fits_in_the_last_three_installments_and_the_new_schedule_follows_them(monkeypatch, collector):
    delinquent_loan()  # another loan's installments first: ids and numbers differ
    loan = delinquent_loan()
    # Sep 2 2056: three installments left, Oct 1, Nov 1 and Dec 1 2056 (the 360th); the new schedule starts on the
    # next date of the series, Jan 1 2057, and 360 of them end Dec 1 2086.
    monkeypatch.setattr(plans, "_today", lambda: date(2056, 9, 2))
    proposal = _propose(loan, collector, term_periods=360)
    assert proposal.first_due_date == date(2057, 1, 1)
    assert proposal.maturity_date == date(2086, 12, 1)
    modification = modification_approve(actor=user_with_role(roles.MANAGER), modification=proposal)
    assert modification.trial_dates == [date(2056, 10, 1), date(2056, 11, 1), date(2056, 12, 1)]


def test_no_trial_with_fewer_than_three_installments_left(monkeypatch, loan, collector):
    monkeypatch.setattr(plans, "_today", lambda: date(2056, 10, 2))  # Nov 1 and Dec 1 2056 left
    with pytest.raises(PlanError) as refused:
        _propose(loan, collector, term_periods=360)
    assert str(refused.value) == "The loan has fewer than three installments left: there is no room for a trial."
    assert not LoanModification.objects.exists()


def test_the_projection_follows_the_loans_own_payment_frequency(loan):
    loan.payment_frequency = "biweekly"
    figures = modification_figures(
        loan, new_rate=D("5"), term_periods=26, effective=date(2027, 5, 1), first_due=date(2027, 5, 15)
    )
    # Every 14 days from May 15 2027: May 29, Jun 12 (monthly would be Jun 15, Jul 15).
    due = [row.due_date for row in figures.schedule.rows[:3]]
    assert due == [date(2027, 5, 15), date(2027, 5, 29), date(2027, 6, 12)]


def _text(document: BorrowerDocument) -> str:
    with document.file.open("rb") as stored:
        pages = PdfReader(io.BytesIO(stored.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_agreement_greets_the_borrower_shows_three_new_payments_and_is_the_managers(loan, collector, settings):
    settings.LENDING_PAYMENT_ADDRESS = "Lockbox 4417, Springfield IL 62701"
    # No booked name: the letter greets the portal account's name.
    LoanAccount.objects.filter(pk=loan.pk).update(borrower_name="")
    loan.refresh_from_db()
    greeted = loan.borrower.get_full_name()
    assert greeted
    manager = user_with_role(roles.MANAGER)
    modification = modification_approve(actor=manager, modification=_propose(loan, collector, term_periods=360))
    text = _text(modification.agreement)
    assert f"Loan {loan.loan_number} {greeted}" in text
    assert "Payments by mail: Lockbox 4417, Springfield IL 62701." in text
    # The excerpt is the first three new payments (Jun, Jul, Aug 2027), not a fourth.
    assert "3 August 1, 2027" in text
    assert "4 September 1, 2027" not in text
    assert modification.agreement.created_by == manager


def test_a_cancelled_proposal_is_refused_approval_in_words_and_nothing_is_written(loan, collector):
    proposal = _propose(loan, collector, term_periods=360)
    manager = user_with_role(roles.MANAGER)
    modification_cancel(actor=manager, modification=proposal)
    with pytest.raises(PlanError) as refused:
        modification_approve(actor=manager, modification=proposal)
    assert (str(refused.value), refused.value.conflict, refused.value.field) == (
        "The modification is cancelled: only a proposed one can be approved.",
        True,
        None,
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.approved_by, proposal.trial_due_1, proposal.agreement) == (
        "cancelled",
        None,
        None,
        None,
    )
    assert not BorrowerDocument.objects.filter(kind=BorrowerDocument.Kind.MODIFICATION_AGREEMENT).exists()
    assert not AuditEvent.objects.filter(verb="loan.modification_approved").exists()


def test_a_proposal_cancelled_with_a_note_keeps_the_note_in_its_audit_row(loan, collector):
    proposal = _propose(loan, collector, term_periods=360)
    modification_cancel(actor=user_with_role(roles.MANAGER), modification=proposal, note="income not verified")
    event = AuditEvent.objects.get(verb="loan.modification_cancelled")
    assert (event.note, event.before, event.after) == (
        "income not verified",
        {"modification": proposal.pk, "status": "proposed"},
        {"status": "cancelled"},
    )


def test_a_proposal_made_without_a_note_has_none_on_its_row_or_its_audit_row(loan, collector):
    proposal = _propose(loan, collector, term_periods=360)
    proposal.refresh_from_db()
    event = AuditEvent.objects.get(verb="loan.modification_proposed")
    assert (proposal.note, event.note) == ("", "")
