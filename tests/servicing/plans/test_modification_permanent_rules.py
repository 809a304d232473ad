"""A modification's trial checked and made permanent (``modification_trial``): who is recorded as acting, what each
audit row says, whose accruals are taken off the capitalized interest, and the loan's terms afterwards.

The loan (tests.servicing.collections.helpers.delinquent_loan): $300,000 at 6.5% over 360 months from Jan 1 2027
(the 360th installment Dec 1 2056), P&I $1,896.20 + escrow $525.00; Jan 1 and Feb 1 unpaid. Approved Feb 16 2027
at 5% over 360 months: trial payments $2,135.46 on Mar 1, Apr 1, May 1; permanent on May 1 with $4,861.70 of
interest capitalized (Mar 1,622.05 + Apr 1,620.57 + May 1,619.08) on principal 300,000.00 - 271.20 - 272.67 =
299,456.13 (tests/servicing/plans/test_modification.py works these out).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import Installment, JournalEntry, LoanAccount, LoanModification
from servicing.services.ledger import journal_post
from servicing.services.modification import modification_approve, modification_propose
from servicing.services.modification_trial import modification_make_permanent, modifications_check
from servicing.services.plans import PlanError
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import accrue, pay

pytestmark = pytest.mark.django_db
D = Decimal
MAR, APR, MAY, JUN = date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 1), date(2027, 6, 1)
TRIAL_PAYMENT = "2135.46"


@pytest.fixture
def operator():
    return user_with_role(roles.SERVICER)


def _in_trial(loan: LoanAccount) -> LoanModification:
    proposal = modification_propose(actor=user_with_role(roles.COLLECTOR), loan=loan, new_rate=D("5"), term_periods=360)
    return modification_approve(actor=user_with_role(roles.MANAGER), modification=proposal)


def _night(loan: LoanAccount, day: date, actor) -> int:
    accrue(loan, day)
    pay(loan, TRIAL_PAYMENT, day, f"trial-{day}")
    return modifications_check(business_date=day, loan_ids=[loan.pk], actor=actor)


def test_each_trial_payment_and_the_permanent_modification_are_audited_as_the_actor(loan, operator):
    modification = _in_trial(loan)
    assert [_night(loan, day, operator) for day in (MAR, APR, MAY)] == [1, 1, 1]  # one trial changed each night
    modification.refresh_from_db()
    assert (modification.status, modification.resolved_on) == ("permanent", MAY)
    entry = modification.journal_entry
    rows = AuditEvent.objects.filter(verb__in=TRIAL_VERBS).order_by("pk")
    assert [(row.verb, row.actor, row.target_id, row.before, row.after) for row in rows] == [
        (
            "loan.modification_trial_payment_made",
            operator,
            str(loan.pk),
            {"modification": modification.pk, "trial_payments_made": 0},
            {"status": "trial", "trial_payments_made": 1, "as_of": "2027-03-01"},
        ),
        (
            "loan.modification_trial_payment_made",
            operator,
            str(loan.pk),
            {"modification": modification.pk, "trial_payments_made": 1},
            {"status": "trial", "trial_payments_made": 2, "as_of": "2027-04-01"},
        ),
        (
            "loan.modification_permanent",
            operator,
            str(loan.pk),
            # The terms as they were: the 360th installment due Dec 1 2056; the principal before capitalization
            # 304,317.83 - 4,861.70 - 0.00 = 299,456.13.
            {
                "annual_rate": "6.5000",
                "regular_payment": "1896.20",
                "term_periods": 360,
                "maturity_date": "2056-12-01",
                "principal_balance": "299456.13",
            },
            {
                "modification": modification.pk,
                "effective": "2027-05-01",
                "closed_installments": 3,  # Mar, Apr, May: due by May 1 and unpaid
                "journal_entry": entry.pk,
                "new_rate": "5.0000",
                "term_periods": 360,
                "capitalized_interest": "4861.70",
                "capitalized_escrow": "0.00",
                "new_principal": "304317.83",  # 299,456.13 + 4,861.70
                "new_payment": "1633.64",
                "escrow_payment": "525.00",
                "trial_payment": "2135.46",
                "maturity_date": "2057-05-01",  # Jun 1 2027 + 359 months
            },
        ),
    ]
    # Jan and Feb, paid during the trial (cumulative 4,270.92 >= Jan's 3,396.26 on Apr 1; 6,406.38 >= 3,396.26 +
    # 2,421.20 = 5,817.46 on May 1), keep their figures and the day they were paid; only the unpaid are closed.
    paid = Installment.objects.filter(loan=loan, number__lte=2).order_by("number").values_list("payment", "paid_on")
    assert list(paid) == [(D("3396.26"), APR), (D("2421.20"), MAY)]
    # The capitalization is the actor's, once per modification, and says which it is.
    assert (entry.created_by, entry.memo, entry.idempotency_key) == (
        operator,
        f"Modification {modification.pk} of {loan.loan_number}: arrears capitalized",
        f"modification-{modification.pk}-capitalize",
    )


TRIAL_VERBS = ["loan.modification_trial_payment_made", "loan.modification_trial_failed", "loan.modification_permanent"]


def test_a_failed_trial_is_audited_as_the_actor_on_the_night_it_fails(loan, operator):
    modification = _in_trial(loan)
    accrue(loan, MAR)
    assert modifications_check(business_date=MAR, loan_ids=[loan.pk], actor=operator) == 1  # nothing paid
    row = AuditEvent.objects.get(verb__in=TRIAL_VERBS)
    assert (row.verb, row.actor, row.target_id, row.before, row.after) == (
        "loan.modification_trial_failed",
        operator,
        str(loan.pk),
        {"modification": modification.pk, "trial_payments_made": 0},
        {"status": "failed", "trial_payments_made": 0, "as_of": "2027-03-01"},
    )
    modification.refresh_from_db()
    assert (modification.status, modification.resolved_on, modification.trial_payments_made) == ("failed", MAR, 0)


def test_only_this_loans_interest_accrued_after_the_effective_date_is_left_out_of_the_capitalized(loan, operator):
    other = delinquent_loan()
    accrue(other, date(2027, 5, 20))  # another loan accrued well into its June period: none of it is this loan's
    modification = _in_trial(loan)
    for day in (MAR, APR, MAY):
        _night(loan, day, operator)
    modification.refresh_from_db()
    assert modification.capitalized_interest == D("4861.70")  # 1,622.05 + 1,620.57 + 1,619.08, nothing taken off


def test_only_this_loans_installments_are_closed_and_replaced(loan, operator):
    other = delinquent_loan()
    # The other loan numbered from 13 (as a transferred loan): its May 1 installment is number 17, higher than
    # this loan's 5, so a number read from it would start this loan's new schedule in the wrong place.
    Installment.objects.filter(loan=other).update(number=F("number") + 1000)
    Installment.objects.filter(loan=other).update(number=F("number") - 988)
    others = list(Installment.objects.filter(loan=other).order_by("number").values_list("number", "payment", "paid_on"))
    _in_trial(loan)
    for day in (MAR, APR, MAY):
        _night(loan, day, operator)
    assert _permanent_row().after["closed_installments"] == 3  # this loan's Mar, Apr, May
    after = list(Installment.objects.filter(loan=other).order_by("number").values_list("number", "payment", "paid_on"))
    assert after == others  # the other loan's 360 installments as they were
    assert (len(after), after[0], after[2]) == (360, (13, D("3396.26"), None), (15, D("2421.20"), None))
    # This loan's new schedule follows its own May 1 installment (5): 6 on Jun 1 2027 through 365.
    mine = list(Installment.objects.filter(loan=loan).order_by("number").values_list("number", "due_date"))
    assert (mine[5], mine[-1], len(mine)) == ((6, JUN), (365, date(2057, 5, 1)), 365)


def test_a_failed_trial_is_not_checked_again(loan, operator):
    modification = _in_trial(loan)
    accrue(loan, MAR)
    modifications_check(business_date=MAR, loan_ids=[loan.pk], actor=operator)  # nothing paid by Mar 1: failed
    pay(loan, TRIAL_PAYMENT, date(2027, 3, 20), "late")
    assert modifications_check(business_date=APR, loan_ids=[loan.pk], actor=operator) == 0  # none in trial
    modification.refresh_from_db()
    assert (modification.status, modification.resolved_on) == ("failed", MAR)
    assert AuditEvent.objects.filter(verb__in=TRIAL_VERBS).count() == 1


def test_rows_added_at_the_end_of_a_longer_schedule_carry_the_escrow(loan, operator):
    _in_trial(loan)
    for day in (MAR, APR, MAY):
        _night(loan, day, operator)
    # Old schedule: 360 rows, through Dec 1 2056; new: 5 kept + 360 = 365, so 361-365 are added (Jan-May 2057).
    added = Installment.objects.filter(loan=loan, number__gt=360).order_by("number")
    assert [(i.number, i.escrow, i.payment - i.principal - i.interest) for i in added] == [
        (number, D("525.00"), D("525.00")) for number in range(361, 366)
    ]
    last = added.last()
    assert last.payment == last.principal + last.interest + D("525.00")


def test_a_shorter_term_removes_the_unpaid_installments_beyond_the_new_maturity(loan, operator):
    proposal = modification_propose(actor=user_with_role(roles.COLLECTOR), loan=loan, new_rate=D("5"), term_periods=120)
    modification = modification_approve(actor=user_with_role(roles.MANAGER), modification=proposal)
    payment = str(modification.trial_payment)
    for day in (MAR, APR, MAY):
        accrue(loan, day)
        pay(loan, payment, day, f"trial-{day}")
        modifications_check(business_date=day, loan_ids=[loan.pk], actor=operator)
    modification.refresh_from_db()
    assert modification.status == "permanent"
    # 5 kept (Jan-May 2027) + 120 new from Jun 1 2027 (the last May 1 2037): rows 126-360 removed.
    rows = list(Installment.objects.filter(loan=loan).order_by("number").values_list("number", "due_date"))
    assert (len(rows), rows[-1]) == (125, (125, date(2037, 5, 1)))
    loan.refresh_from_db()
    assert (loan.term_periods, loan.maturity_date) == (125, date(2037, 5, 1))


def test_a_paid_installment_beyond_the_new_maturity_refuses_the_replacement_in_words(loan, operator):
    proposal = modification_propose(actor=user_with_role(roles.COLLECTOR), loan=loan, new_rate=D("5"), term_periods=120)
    modification = modification_approve(actor=user_with_role(roles.MANAGER), modification=proposal)
    payment = str(modification.trial_payment)
    for day in (MAR, APR):
        accrue(loan, day)
        pay(loan, payment, day, f"trial-{day}")
        modifications_check(business_date=day, loan_ids=[loan.pk], actor=operator)
    accrue(loan, MAY)
    pay(loan, payment, MAY, "trial-3")
    Installment.objects.filter(loan=loan, number=200).update(paid_principal=D("1.00"))  # paid on, far ahead
    with pytest.raises(PlanError) as refused:
        modifications_check(business_date=MAY, loan_ids=[loan.pk], actor=operator)
    assert str(refused.value) == "Installments beyond the new maturity were paid on: the schedule cannot be replaced."


def test_the_modified_loan_is_a_plain_level_loan(loan, operator):
    # Booked interest-only for 12 periods with a balloon after 120: the modified schedule is level to its end.
    LoanAccount.objects.filter(pk=loan.pk).update(interest_only_periods=12, balloon_after_periods=120)
    loan.refresh_from_db()
    _in_trial(loan)
    for day in (MAR, APR, MAY):
        _night(loan, day, operator)
    loan.refresh_from_db()
    assert (loan.amortization, loan.interest_only_periods, loan.balloon_after_periods) == ("level", 0, None)
    assert (loan.term_periods, loan.maturity_date) == (365, date(2057, 5, 1))  # Jan-May 2027 + 360 new


def _permanent_row() -> AuditEvent:
    return AuditEvent.objects.get(verb="loan.modification_permanent")


def test_an_escrow_advance_capitalized_is_taken_off_the_principal_the_audit_row_says_it_was(loan, operator):
    # The servicer paid a $3,000.00 tax bill from escrow holding $1,050.00 (test_modification.py: 900.00 of it
    # still advanced on May 1, capitalized with the interest).
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 2, 20),
        kind=JournalEntry.Kind.ESCROW_DISBURSEMENT,
        memo="County tax",
        lines=[("escrow_liability", D("3000.00"), D("0")), ("cash", D("0"), D("3000.00"))],
    )
    modification = _in_trial(loan)
    for day in (MAR, APR, MAY):
        accrue(loan, day)
        pay(loan, "2145.93", day, f"trial-{day}")  # the trial payment with the advance projected
        modifications_check(business_date=day, loan_ids=[loan.pk], actor=operator)
    modification.refresh_from_db()
    assert (modification.capitalized_interest, modification.capitalized_escrow) == (D("4861.70"), D("900.00"))
    # Before: 305,217.83 after capitalization - 4,861.70 interest - 900.00 escrow = 299,456.13.
    assert _permanent_row().before["principal_balance"] == "299456.13"


def test_with_nothing_to_capitalize_no_entry_is_posted_and_the_audit_row_says_none(loan, operator):
    modification = _in_trial(loan)
    for day in (MAR, APR, MAY):  # no nightly accrual: no interest due on May 1, and escrow is not advanced
        pay(loan, TRIAL_PAYMENT, day, f"trial-{day}")
        modifications_check(business_date=day, loan_ids=[loan.pk], actor=operator)
    modification.refresh_from_db()
    assert (modification.status, modification.capitalized_interest, modification.capitalized_escrow) == (
        "permanent",
        D("0.00"),
        D("0.00"),
    )
    assert modification.journal_entry is None
    assert not JournalEntry.objects.filter(loan=loan, kind=JournalEntry.Kind.MODIFICATION).exists()
    row = _permanent_row()
    assert (row.after["journal_entry"], row.before["principal_balance"]) == (None, "299456.13")


def test_a_loan_numbered_from_the_notes_first_keeps_its_numbers_and_counts_its_term_from_them(loan, operator):
    # As a transferred loan: installments numbered from 13 (twelve paid before boarding), the note's first due
    # date Jan 1 2026, so installment 13 is still due Jan 1 2027.
    Installment.objects.filter(loan=loan).update(number=F("number") + 1000)
    Installment.objects.filter(loan=loan).update(number=F("number") - 988)
    LoanAccount.objects.filter(pk=loan.pk).update(
        first_payment_date=date(2026, 1, 1), disbursement_date=date(2025, 11, 13)
    )
    loan.refresh_from_db()
    _in_trial(loan)
    for day in (MAR, APR, MAY):
        _night(loan, day, operator)
    loan.refresh_from_db()
    # Jan-May 2027 are 13-17; the 360 new ones 18-377 from Jun 1 2027: 377 - 13 + 1 = 365 installments.
    assert (loan.term_periods, loan.maturity_date) == (365, date(2057, 5, 1))
    rows = list(Installment.objects.filter(loan=loan).order_by("number").values_list("number", "due_date"))
    assert (rows[0], rows[5], rows[-1], len(rows)) == ((13, date(2027, 1, 1)), (18, JUN), (377, date(2057, 5, 1)), 365)


def test_a_trial_is_checked_only_on_the_night_its_next_payment_comes_due(loan, operator):
    modification = _in_trial(loan)

    def off_night(day: date) -> int:
        return modifications_check(business_date=day, loan_ids=[loan.pk], actor=operator)

    assert off_night(date(2027, 2, 20)) == 0  # before the first trial due date (Mar 1)
    assert _night(loan, MAR, operator) == 1
    assert off_night(date(2027, 3, 15)) == 0  # the first kept, the second not due until Apr 1
    assert _night(loan, APR, operator) == 1
    assert off_night(date(2027, 4, 15)) == 0  # the second kept, the third not due until May 1
    modification.refresh_from_db()
    assert (modification.status, modification.trial_payments_made) == ("trial", 2)
    assert AuditEvent.objects.filter(verb__in=TRIAL_VERBS).count() == 2  # Mar 1 and Apr 1 only


def test_a_modification_never_approved_cannot_be_made_permanent_in_words(loan, operator):
    proposal = modification_propose(actor=user_with_role(roles.COLLECTOR), loan=loan, new_rate=D("5"), term_periods=360)
    with pytest.raises(PlanError) as refused:
        modification_make_permanent(modification=proposal, business_date=MAY, actor=operator)
    assert str(refused.value) == "The modification has no approval or trial dates: it was never approved."
    assert not JournalEntry.objects.filter(loan=loan, kind=JournalEntry.Kind.MODIFICATION).exists()
