"""Loan modification: proposed by a collector, approved by a manager (the trial and its agreement), three trial
payments checked by the nightly plans step, then permanent (arrears capitalized, schedule replaced) or failed.

The loan (tests.servicing.factories.boarded_loan): $300,000 at 6.5% over 360 months from Jan 1 2027, P&I
$1,896.20 + escrow $525.00; nothing paid, so on Feb 16 2027 Jan 1 and Feb 1 are past due. Scheduled interest of
the first five installments: Jan $2,600.06 (with the odd days from Nov 13), Feb $1,623.53, Mar $1,622.05, Apr
$1,620.57, May $1,619.08; principal Jan $271.20, Feb $272.67.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import (
    BorrowerDocument,
    DelinquencyHistory,
    Installment,
    JournalEntry,
    LoanAccount,
    LoanModification,
    NightlyRun,
)
from servicing.selectors import loan_balances_from_journal
from servicing.services.ledger import journal_post
from servicing.services.modification import modification_approve, modification_cancel, modification_propose
from servicing.services.nightly.runner import nightly_run
from servicing.services.nightly.steps.delinquency import loans_age
from servicing.services.nightly.steps.plans import PlansStep
from servicing.services.plans import PlanError
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import APPROVED, accrue, pay, run_plans

pytestmark = pytest.mark.django_db
MAR, APR, MAY, JUN = date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 1), date(2027, 6, 1)


def _in_trial(loan, collector, manager) -> LoanModification:
    proposal = modification_propose(actor=collector, loan=loan, new_rate=Decimal("5"), term_periods=360)
    return modification_approve(actor=manager, modification=proposal)


def test_approval_projects_the_new_payment_and_starts_a_three_payment_trial(loan, collector, manager):
    modification = _in_trial(loan, collector, manager)
    # Nothing accrued yet and escrow is $1,050.00 (positive): nothing to capitalize, new principal $300,000.00.
    # 5% / 12 = r; (1 + r) ** 360 = 4.46774431; 300,000 * r * 4.46774431 / 3.46774431 = 1,610.4649 -> $1,610.46.
    assert modification.status == LoanModification.Status.TRIAL
    assert modification.new_principal == Decimal("300000.00")
    assert modification.new_payment == Decimal("1610.46")
    assert modification.trial_payment == Decimal("2135.46")  # 1,610.46 + 525.00 escrow
    assert modification.trial_dates == [MAR, APR, MAY]  # the next three due dates after Feb 16
    assert modification.first_due_date == JUN
    assert modification.maturity_date == date(2057, 5, 1)  # 360 monthly payments from Jun 1 2027
    agreement = modification.agreement
    assert agreement.kind == BorrowerDocument.Kind.MODIFICATION_AGREEMENT
    assert agreement.key == str(modification.pk)
    assert AuditEvent.objects.filter(verb="loan.modification_approved").count() == 1
    # Approving again changes nothing (idempotent).
    again = modification_approve(actor=manager, modification=modification)
    assert (again.pk, again.agreement_id) == (modification.pk, agreement.pk)
    assert BorrowerDocument.objects.filter(kind="modification_agreement").count() == 1


def _text(document: BorrowerDocument) -> str:
    with document.file.open("rb") as stored:
        pages = PdfReader(io.BytesIO(stored.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_agreement_states_the_trial_payments_and_the_new_terms(loan, collector, manager):
    text = _text(_in_trial(loan, collector, manager).agreement)
    assert_amount(text, "$2,135.46", label="1 March 1, 2027")
    assert_amount(text, "$2,135.46", label="3 May 1, 2027")
    assert_amount(text, "$300,000.00", label="New principal balance")
    assert_amount(text, "$1,610.46", label="Monthly principal and interest")
    assert "Maturity date May 1, 2057" in text
    # The first new payment: interest 300,000.00 x 5 / 1,200 = 1,250.00; principal 1,610.46 - 1,250.00 = 360.46;
    # balance 300,000.00 - 360.46 = 299,639.54.
    assert_amount(text, "1 June 1, 2027 $360.46 $1,250.00 $299,639.54")


def test_three_on_time_trial_payments_make_it_permanent(loan, collector, manager):
    modification = _in_trial(loan, collector, manager)
    for day in (MAR, APR, MAY):
        accrue(loan, day)
        pay(loan, "2135.46", day, f"trial-{day}")
        run_plans(day)
        modification.refresh_from_db()
    assert modification.status == LoanModification.Status.PERMANENT
    assert modification.trial_payments_made == 3
    # The trial paid 3 x 2,135.46 = 6,406.38: Jan in full (3,396.26) and Feb in full (2,421.20), 588.92 held in
    # suspense. Interest earned through May 1 and unpaid: Mar 1,622.05 + Apr 1,620.57 + May 1,619.08 = 4,861.70.
    # Principal: 300,000.00 - 271.20 - 272.67 = 299,456.13; new principal 299,456.13 + 4,861.70 = 304,317.83.
    # 304,317.83 * r * 4.46774431 / 3.46774431 = 1,633.6439 -> $1,633.64.
    assert modification.capitalized_interest == Decimal("4861.70")
    assert modification.capitalized_escrow == Decimal("0.00")
    assert modification.new_principal == Decimal("304317.83")
    assert modification.new_payment == Decimal("1633.64")
    assert modification.trial_payment == Decimal("2135.46")  # what the trial asked for, kept
    entry = modification.journal_entry
    assert entry.kind == JournalEntry.Kind.MODIFICATION
    assert entry.effective_date == MAY
    lines = sorted((line.account.code, line.debit, line.credit) for line in entry.lines.all())
    assert lines == [
        ("interest_receivable", Decimal("0.00"), Decimal("4861.70")),
        ("loans_receivable", Decimal("4861.70"), Decimal("0.00")),
    ]
    loan.refresh_from_db()
    assert (loan.annual_rate, loan.regular_payment) == (Decimal("5.0000"), Decimal("1633.64"))
    assert (loan.principal_balance, loan.interest_due, loan.suspense_balance) == (
        Decimal("304317.83"),
        Decimal("0.00"),
        Decimal("588.92"),
    )
    assert loan.maturity_date == date(2057, 5, 1)
    assert loan.term_periods == 365  # 5 old installments (Jan-May) + 360 new
    assert loan.next_due_date == JUN
    assert loan.interest_paid_through == MAY
    # The journal agrees with the loan's running balances.
    books = loan_balances_from_journal([loan.pk])[loan.pk]
    assert books["principal_balance"] == Decimal("304317.83")
    assert books["interest_due"] == Decimal("0.00")
    rows = list(Installment.objects.filter(loan=loan).order_by("number"))
    assert len(rows) == 365
    # Mar, Apr, May closed at what was paid on them (nothing: the money was in suspense), settled on May 1.
    assert [(i.number, i.payment, i.paid_on) for i in rows[2:5]] == [
        (3, Decimal("0.00"), MAY),
        (4, Decimal("0.00"), MAY),
        (5, Decimal("0.00"), MAY),
    ]
    first = rows[5]
    # Jun 1: interest 304,317.83 * 5 / 1,200 = 1,267.9910 -> 1,267.99; principal 1,633.64 - 1,267.99 = 365.65.
    assert (first.number, first.due_date, first.principal, first.interest, first.escrow, first.payment) == (
        6,
        JUN,
        Decimal("365.65"),
        Decimal("1267.99"),
        Decimal("525.00"),
        Decimal("2158.64"),
    )
    assert sum((i.principal for i in rows[5:]), Decimal("0")) == Decimal("304317.83")
    assert rows[-1].due_date == date(2057, 5, 1)
    assert AuditEvent.objects.filter(verb="loan.modification_permanent").count() == 1
    # A rerun of the night finds nothing to do.
    assert run_plans(MAY) == []


def test_a_missed_trial_payment_fails_the_trial_and_the_old_schedule_stands(loan, collector, manager):
    modification = _in_trial(loan, collector, manager)
    pay(loan, "2135.46", MAR, "trial-1")
    run_plans(MAR)
    modification.refresh_from_db()
    assert (modification.status, modification.trial_payments_made) == ("trial", 1)
    pay(loan, "2135.45", APR, "trial-2")  # a cent short: 2,135.46 + 2,135.45 = 4,270.91 < 2 x 2,135.46 = 4,270.92
    run_plans(APR)
    modification.refresh_from_db()
    assert (modification.status, modification.trial_payments_made, modification.resolved_on) == ("failed", 1, APR)
    loan.refresh_from_db()
    assert (loan.annual_rate, loan.regular_payment, loan.term_periods) == (Decimal("6.5000"), Decimal("1896.20"), 360)
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.MODIFICATION).exists()
    assert AuditEvent.objects.filter(verb="loan.modification_trial_failed").count() == 1


def test_the_trial_holds_delinquency_and_a_failed_trial_ages_the_loan_again(loan, collector, manager):
    _in_trial(loan, collector, manager)
    # In trial: the night of Mar 20 leaves the loan at 45 days as it was (else Jan 1 -> Mar 20 is 78 days).
    loans_age(business_date=date(2027, 3, 20), loan_ids=[loan.pk], actor=None)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.delinquency_bucket, loan.delinquency_as_of) == (45, "30-59", date(2027, 3, 20))
    run_plans(MAR)  # nothing paid by Mar 1: the trial fails
    loans_age(business_date=date(2027, 3, 21), loan_ids=[loan.pk], actor=None)
    loan.refresh_from_db()
    # Jan 1 -> Mar 21: 31 + 28 + 20 = 79 days.
    assert loan.days_past_due == 79
    assert DelinquencyHistory.objects.filter(loan=loan, bucket_to="60-89").exists()


def test_a_collector_proposes_but_only_a_manager_approves(loan, collector):
    proposal = modification_propose(actor=collector, loan=loan, new_rate=Decimal("4.25"), term_periods=480)
    assert proposal.status == LoanModification.Status.PROPOSED
    with pytest.raises(PlanError, match="Only a manager"):
        modification_approve(actor=collector, modification=proposal)
    with pytest.raises(PlanError, match="Only a collector or a manager"):
        modification_propose(actor=user_with_role(roles.SERVICER), loan=loan, new_rate=Decimal("4"), term_periods=360)


def test_one_open_modification_per_loan_and_a_cancelled_one_cannot_be_approved(loan, collector, manager):
    proposal = modification_propose(actor=collector, loan=loan, new_rate=Decimal("4.25"), term_periods=480)
    with pytest.raises(PlanError, match="already has a modification") as refused:
        modification_propose(actor=manager, loan=loan, new_rate=Decimal("4"), term_periods=360)
    assert refused.value.conflict
    modification_cancel(actor=collector, modification=proposal)  # the proposer withdraws it
    with pytest.raises(PlanError, match="is cancelled"):
        modification_approve(actor=manager, modification=proposal)


@pytest.mark.parametrize(
    ("rate", "term", "field"),
    [
        (Decimal("-1"), 360, "new_rate"),
        (Decimal("30.5"), 360, "new_rate"),
        (Decimal("4.12345"), 360, "new_rate"),
        (Decimal("4"), 0, "term_periods"),
        (Decimal("4"), 1601, "term_periods"),
    ],
)
def test_bad_terms_are_refused_on_their_field(loan, collector, rate, term, field):
    with pytest.raises(PlanError) as refused:
        modification_propose(actor=collector, loan=loan, new_rate=rate, term_periods=term)
    assert refused.value.field == field
    assert not LoanModification.objects.exists()


def test_the_term_may_be_given_as_a_maturity_date_on_the_loans_due_dates(loan, collector):
    # Jun 1 2027 (the first new due date) through May 1 2057: 30 years of monthly due dates = 360.
    proposal = modification_propose(actor=collector, loan=loan, new_rate=Decimal("5"), maturity_date=date(2057, 5, 1))
    assert (proposal.term_periods, proposal.maturity_date, proposal.new_payment) == (
        360,
        date(2057, 5, 1),
        Decimal("1610.46"),
    )


@pytest.mark.parametrize(
    ("term", "maturity", "field"),
    [
        (None, date(2057, 5, 15), "maturity_date"),  # not a due date (the 1st of the month)
        (None, date(2027, 5, 1), "maturity_date"),  # before the first new due date, Jun 1 2027
        (360, date(2057, 5, 1), "term_periods"),  # one or the other
        (None, None, "term_periods"),
    ],
)
def test_a_bad_maturity_is_refused_on_its_field(loan, collector, term, maturity, field):
    with pytest.raises(PlanError) as refused:
        modification_propose(
            actor=collector, loan=loan, new_rate=Decimal("5"), term_periods=term, maturity_date=maturity
        )
    assert refused.value.field == field
    assert not LoanModification.objects.exists()


def test_an_escrow_advance_is_capitalized_with_the_interest(loan, collector, manager):
    # The servicer paid a $3,000.00 tax bill from escrow holding $1,050.00 (an advance).
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 2, 20),
        kind=JournalEntry.Kind.ESCROW_DISBURSEMENT,
        memo="County tax",
        lines=[("escrow_liability", Decimal("3000.00"), Decimal("0")), ("cash", Decimal("0"), Decimal("3000.00"))],
    )
    modification = _in_trial(loan, collector, manager)
    # Projected at approval: 300,000.00 + the 1,950.00 advance = 301,950.00; * r * 4.46774431 / 3.46774431
    # = 1,620.9329 -> 1,620.93; the trial payment 1,620.93 + 525.00 = 2,145.93.
    assert modification.trial_payment == Decimal("2145.93")
    for day in (MAR, APR, MAY):
        accrue(loan, day)
        pay(loan, "2145.93", day, f"trial-{day}")
        run_plans(day)
    modification.refresh_from_db()
    # The trial paid 3 x 2,145.93 = 6,437.79: Jan and Feb in full as before, the rest in suspense.
    # Escrow: 1,050.00 - 3,000.00 + the trial's escrow (Jan 525.00 + Feb 525.00) = -900.00: 900.00 advanced.
    # New principal 299,456.13 + 4,861.70 interest + 900.00 escrow = 305,217.83;
    # 305,217.83 * r * 4.46774431 / 3.46774431 = 1,638.4753 -> $1,638.48.
    assert (modification.capitalized_interest, modification.capitalized_escrow) == (
        Decimal("4861.70"),
        Decimal("900.00"),
    )
    assert (modification.new_principal, modification.new_payment) == (Decimal("305217.83"), Decimal("1638.48"))
    lines = sorted((line.account.code, line.debit, line.credit) for line in modification.journal_entry.lines.all())
    assert lines == [
        ("escrow_liability", Decimal("0.00"), Decimal("900.00")),
        ("interest_receivable", Decimal("0.00"), Decimal("4861.70")),
        ("loans_receivable", Decimal("5761.70"), Decimal("0.00")),  # 4,861.70 + 900.00
    ]
    loan.refresh_from_db()
    assert (loan.principal_balance, loan.escrow_balance) == (Decimal("305217.83"), Decimal("0.00"))
    assert loan_balances_from_journal([loan.pk])[loan.pk]["escrow_balance"] == Decimal("0.00")


def test_a_late_night_capitalizes_only_the_interest_earned_through_the_effective_date(loan, collector, manager):
    modification = _in_trial(loan, collector, manager)
    for day in (MAR, APR):
        accrue(loan, day)
        pay(loan, "2135.46", day, f"trial-{day}")
        run_plans(day)
    pay(loan, "2135.46", MAY, "trial-3")
    accrue(loan, date(2027, 5, 3))  # the nights of May 1 and 2 were missed: the accrual ran on into June's period
    run_plans(date(2027, 5, 3))
    modification.refresh_from_db()
    loan.refresh_from_db()
    # Old June installment: balance after May 298,629.23 x 6.5 / 1,200 = 1,617.575 -> 1,617.58; two days of its
    # 30 (30/360) earned by May 3: 1,617.58 x 2 / 30 = 107.838 -> 107.84, not capitalized: still receivable.
    assert modification.status == "permanent"
    assert modification.capitalized_interest == Decimal("4861.70")
    assert modification.new_principal == Decimal("304317.83")
    assert loan.interest_due == Decimal("107.84")
    accrue(loan, JUN)
    loan.refresh_from_db()
    # The June period tops up to the new installment's interest: 107.84 + 1,160.15 = 1,267.99, all receivable.
    assert loan.interest_due == Decimal("1267.99")


def test_the_nightly_runner_runs_the_plans_step_by_name(loan, collector, manager):
    modification = _in_trial(loan, collector, manager)
    pay(loan, "2135.46", MAR, "trial-1")
    run = nightly_run(
        business_date=MAR, actor=None, trigger=NightlyRun.Trigger.COMMAND, only_step="plans", today=date(2027, 3, 2)
    )
    step = run.steps.get(name="plans")
    assert (step.status, step.done, step.error_count) == ("completed", 1, 0)
    modification.refresh_from_db()
    assert modification.trial_payments_made == 1


def test_a_chunk_of_trials_takes_the_same_queries_for_one_loan_or_three(
    collector, manager, django_assert_max_num_queries
):
    chunks = []
    for size in (1, 3):
        loans = [delinquent_loan() for _ in range(size)]
        for loan in loans:
            _in_trial(loan, collector, manager)
            pay(loan, "2135.46", MAR, f"trial-{loan.pk}")
        chunks.append([loan.pk for loan in loans])
    counts = []
    for ids in chunks:
        with django_assert_max_num_queries(15) as captured:
            PlansStep().run_chunk(MAR, ids, None)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert set(LoanModification.objects.values_list("trial_payments_made", flat=True)) == {1}


# The 5 %, 360-installment modification of the tests above: nothing capitalized, 300,000.00 at 5 % -> 1,610.46 a
# month, + 525.00 escrow = 2,135.46 in the trial (Mar, Apr, May 2027); first new due date Jun 1 2027, the last
# (the 360th) May 1 2057.
FIGURES_AUDITED = {
    "new_rate": "5.0000",
    "term_periods": 360,
    "capitalized_interest": "0.00",
    "capitalized_escrow": "0.00",
    "new_principal": "300000.00",
    "new_payment": "1610.46",
    "escrow_payment": "525.00",
    "trial_payment": "2135.46",
    "maturity_date": "2057-05-01",
}


def test_a_proposal_is_written_and_audited_with_its_figures(loan, collector):
    proposal = modification_propose(
        actor=collector, loan=loan, new_rate=Decimal("5"), term_periods=360, note="Hardship: job loss"
    )
    proposal.refresh_from_db()
    assert (proposal.loan, proposal.proposed_by, proposal.note, proposal.first_due_date) == (
        loan,
        collector,
        "Hardship: job loss",
        JUN,
    )
    event = AuditEvent.objects.get(verb="loan.modification_proposed")
    assert (event.actor, event.target_id, event.before, event.note) == (
        collector,
        str(loan.pk),
        {},
        "Hardship: job loss",
    )
    # The rate as given (5), not yet read back from its column (5.0000).
    assert event.after == {"modification": proposal.pk, **FIGURES_AUDITED, "new_rate": "5"}


def test_an_approval_is_audited_with_the_trial_dates_and_once(loan, collector, manager):
    proposal = modification_propose(actor=collector, loan=loan, new_rate=Decimal("5"), term_periods=360)
    approved = modification_approve(actor=manager, modification=proposal)
    approved.refresh_from_db()
    assert (approved.approved_by, approved.approved_on, approved.status) == (manager, APPROVED, "trial")
    assert (approved.trial_due_1, approved.trial_due_2, approved.trial_due_3) == (MAR, APR, MAY)
    modification_approve(actor=manager, modification=proposal)  # again: nothing more written
    event = AuditEvent.objects.get(verb="loan.modification_approved")
    assert (event.actor, event.target_id, event.note) == (manager, str(loan.pk), "")
    assert event.before == {"modification": proposal.pk, "status": "proposed"}
    assert event.after == {
        "status": "trial",
        "trial_due": ["2027-03-01", "2027-04-01", "2027-05-01"],
        **FIGURES_AUDITED,
    }


def test_a_cancelled_proposal_is_audited_once_and_only_its_proposer_or_a_manager_may_cancel(loan, collector, manager):
    proposal = modification_propose(actor=collector, loan=loan, new_rate=Decimal("5"), term_periods=360)
    with pytest.raises(PlanError) as refused:
        modification_cancel(actor=user_with_role(roles.COLLECTOR), modification=proposal)  # another collector
    assert (str(refused.value), refused.value.forbidden) == (
        "Only a manager, or the collector who proposed it, may cancel a proposal.",
        True,
    )
    cancelled = modification_cancel(actor=manager, modification=proposal)
    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.resolved_on) == ("cancelled", APPROVED)
    modification_cancel(actor=manager, modification=proposal)  # twice: one audit row
    event = AuditEvent.objects.get(verb="loan.modification_cancelled")
    assert (event.actor, event.target_id, event.note) == (manager, str(loan.pk), "")
    assert (event.before, event.after) == ({"modification": proposal.pk, "status": "proposed"}, {"status": "cancelled"})


def test_a_proposal_in_trial_cannot_be_cancelled_and_a_proposal_needs_one_term_in_words(loan, collector, manager):
    in_trial = _in_trial(loan, collector, manager)
    with pytest.raises(PlanError) as refused:
        modification_cancel(actor=manager, modification=in_trial)
    assert (str(refused.value), refused.value.conflict) == (
        "The modification is trial period: only a proposal can be cancelled.",
        True,
    )
    other = delinquent_loan()
    for term in ({}, {"term_periods": 360, "maturity_date": date(2057, 5, 1)}):
        with pytest.raises(PlanError) as refused:
            modification_propose(actor=collector, loan=other, new_rate=Decimal("5"), **term)
        assert (str(refused.value), refused.value.field) == (
            "Give either the number of installments or the maturity date.",
            "term_periods",
        )
    LoanAccount.objects.filter(pk=other.pk).update(status=LoanAccount.Status.PAID_OFF)
    with pytest.raises(PlanError) as refused:
        modification_propose(actor=collector, loan=other, new_rate=Decimal("5"), term_periods=360)
    assert (str(refused.value), refused.value.conflict) == (f"{other.loan_number} is paid off.", True)
