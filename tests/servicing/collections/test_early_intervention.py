"""Early intervention, Reg X 1024.39: the live contact by day 36 and the written notice by day 45 of the delinquency,
as due / done / late, and the nightly step that makes the notice on day 40, once in 180 days, idempotently.

The loan (tests.servicing.collections.helpers) has its January 1 2027 payment unpaid: day 0 of the delinquency is
Jan 1, so day 36 is Feb 6 (Jan 1 + 30 = Jan 31, + 6) and day 45 is Feb 15 (Jan 31 + 15); day 40 is Feb 10.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from lending.core.models import AuditEvent
from servicing.models import BorrowerDocument, EarlyInterventionNotice, LoanAccount, NightlyRun
from servicing.selectors.loss_mitigation import early_intervention_deadlines, live_contact_deadlines
from servicing.services.nightly.base import steps_in_order
from servicing.services.nightly.runner import nightly_run
from servicing.services.nightly.steps.early_intervention import EarlyInterventionStep
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.test_notices import pdf_text

START = date(2027, 1, 1)
DAY_36 = date(2027, 2, 6)
DAY_40 = date(2027, 2, 10)
DAY_45 = date(2027, 2, 15)


def _loan(**kwargs) -> LoanAccount:
    return LoanAccount(days_past_due=45, next_due_date=START, **kwargs)


def _call(day: date, hour: int = 20) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


def _states(rows):
    return [(row.label, row.state, row.due_by, row.done_on, row.note) for row in rows]


def _live(today: date, calls: list[date], dues=(START, date(2027, 2, 1), date(2027, 3, 1))):
    return _states(live_contact_deadlines(START, [d for d in dues if d <= today], calls, today))


def test_the_step_runs_right_after_delinquency():
    names = [step.name for step in steps_in_order()]
    assert names[names.index("delinquency") + 1] == "early_intervention"


JAN, FEB, MAR = "payment due 2027-01-01", "payment due 2027-02-01", "payment due 2027-03-01"
FEB_36 = date(2027, 3, 9)  # Feb 1 + 36: Mar 1 is + 28, Mar 9 + 36
MAR_36 = date(2027, 4, 6)  # Mar 1 + 36: Mar 31 is + 30, Apr 6 + 36


def test_live_contact_by_the_36th_day():
    # Day 36, Feb 6: a call that day is on time; none yet is due (Feb 1's own 36 days run to Mar 9).
    assert _live(DAY_36, [DAY_36]) == [("Live contact", "done", DAY_36, DAY_36, JAN)]
    assert _live(DAY_36, []) == [("Live contact", "due", DAY_36, None, JAN)]
    # Day 37, Feb 7: the first contact is late (made that day, or not at all); the call of Feb 7 also meets the
    # contact owed for the Feb 1 payment, by Mar 9.
    assert _live(date(2027, 2, 7), [date(2027, 2, 7)]) == [
        ("Live contact", "late", DAY_36, date(2027, 2, 7), JAN),
        ("Live contact", "done", FEB_36, date(2027, 2, 7), FEB),
    ]
    assert _live(date(2027, 2, 7), []) == [
        ("Live contact", "late", DAY_36, None, JAN),
        ("Live contact", "due", FEB_36, None, FEB),
    ]


def test_live_contact_again_after_each_due_date_while_delinquent():
    # Mar 10: Feb 1's 36 days have passed. A call on Feb 5 met it (and Jan 1's); Mar 1's runs to Apr 6.
    assert _live(date(2027, 3, 10), [date(2027, 2, 5)]) == [
        ("Live contact", "done", FEB_36, date(2027, 2, 5), FEB),
        ("Live contact", "due", MAR_36, None, MAR),
    ]
    # A call on Jan 20 only met Jan 1's: Feb 1's is late.
    assert _live(date(2027, 3, 10), [date(2027, 1, 20)]) == [
        ("Live contact", "late", FEB_36, None, FEB),
        ("Live contact", "due", MAR_36, None, MAR),
    ]


def test_cease_contact_exempts_the_live_contact_but_not_the_notice():
    rows = early_intervention_deadlines(_loan(cease_contact_at=_call(START)), [START], [], None, DAY_45)
    assert [(row.label, row.state, row.note) for row in rows] == [
        ("Live contact", "exempt", "Cease contact: exempt (1024.39(d)(1))"),
        ("Written notice", "due", ""),
    ]


def test_written_notice_by_the_45th_day_and_once_in_180_days():
    def notice(sent_on, today=DAY_45):
        return _states(early_intervention_deadlines(_loan(), [START], [], sent_on, today))[-1][:4]

    assert notice(DAY_40) == ("Written notice", "done", DAY_45, DAY_40)
    assert notice(date(2027, 2, 16), today=date(2027, 2, 16)) == ("Written notice", "late", DAY_45, date(2027, 2, 16))
    assert notice(None) == ("Written notice", "due", DAY_45, None)
    assert notice(None, today=date(2027, 2, 16)) == ("Written notice", "late", DAY_45, None)
    # The 180 days ending on Feb 15 2027 begin on Aug 20 2026 (Feb 15 - 179 days: back to Aug 15 is 184 days):
    # a notice of an earlier delinquency sent Aug 20 still covers this one, one sent Aug 19 does not.
    assert notice(date(2026, 8, 20)) == ("Written notice", "done", DAY_45, date(2026, 8, 20))
    assert notice(date(2026, 8, 19)) == ("Written notice", "due", DAY_45, None)


def test_a_current_loan_has_no_deadline():
    assert early_intervention_deadlines(LoanAccount(days_past_due=0, next_due_date=START), [], [], None, DAY_45) == []


def _run(day: date) -> list[int]:
    step = EarlyInterventionStep()
    ids = list(step.pending_loan_ids(day))
    result = step.run_chunk(day, ids, None)
    assert result.errors == []
    return ids


@pytest.mark.django_db
def test_the_night_makes_the_notice_on_day_40_once(django_capture_on_commit_callbacks):
    day_39 = delinquent_loan(days=39, aged_on=date(2027, 2, 9))
    loan = delinquent_loan(days=40, aged_on=DAY_40)
    assert loan.next_due_date == START
    assert _run(date(2027, 2, 9)) == []  # day 39: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert _run(DAY_40) == [loan.pk]
    notice = EarlyInterventionNotice.objects.get(loan=loan)
    assert (notice.delinquency_start, notice.sent_on, notice.due_by, notice.cease_contact) == (
        START,
        DAY_40,
        DAY_45,
        False,
    )
    assert AuditEvent.objects.filter(verb="loan.early_intervention_notice", target_id=str(loan.pk)).count() == 1
    document = BorrowerDocument.objects.get(loan=loan, kind="early_intervention")
    assert notice.pk
    assert EarlyInterventionNotice.objects.get(pk=notice.pk).document == document
    text = pdf_text(document)
    assert "The payment on your loan" in text
    assert "due January 1, 2027 has not been received" in text
    assert "Find one at https://www.hud.gov/counseling or call HUD toll-free at 1-800-569-4287." in text
    assert "Loan modification: a new rate or term" in text
    assert not EarlyInterventionNotice.objects.filter(loan=day_39).exists()

    assert _run(DAY_40) == []  # a rerun finds the loan done
    result = EarlyInterventionStep().run_chunk(DAY_40, [loan.pk], None)  # a stale chunk writes nothing
    assert (result.done, result.errors) == (1, [])
    assert EarlyInterventionNotice.objects.filter(loan=loan).count() == 1


@pytest.mark.django_db
def test_not_more_than_once_in_180_days():
    loan = delinquent_loan(days=40, aged_on=DAY_40)
    _run(DAY_40)

    def aged(day: date, days: int) -> list[int]:
        LoanAccount.objects.filter(pk=loan.pk).update(delinquency_as_of=day, days_past_due=days)
        return _run(day)

    assert aged(date(2027, 2, 11), 41) == []
    # Feb 10 + 179 days = Aug 8 2027 (Feb 10 + 181 = Aug 10): still within the 180 days; Aug 9 is not.
    assert aged(date(2027, 8, 8), 219) == []
    assert aged(date(2027, 8, 9), 220) == [loan.pk]
    assert list(EarlyInterventionNotice.objects.filter(loan=loan).values_list("sent_on", flat=True)) == [
        date(2027, 8, 9),
        DAY_40,
    ]


@pytest.mark.django_db
def test_under_cease_contact_the_notice_asks_for_no_payment(django_capture_on_commit_callbacks):
    loan = delinquent_loan(days=40, aged_on=DAY_40)
    LoanAccount.objects.filter(pk=loan.pk).update(cease_contact_at=_call(date(2027, 1, 20)))
    with django_capture_on_commit_callbacks(execute=True):
        _run(DAY_40)
    notice = EarlyInterventionNotice.objects.select_related("document").get(loan=loan)
    assert notice.cease_contact is True
    text = pdf_text(notice.document)
    assert "This notice is not a request for payment." in text
    assert "We may or intend to invoke our remedy of foreclosure" in text
    assert "has not been received" not in text


@pytest.mark.django_db
def test_the_runner_runs_the_step_by_name(django_capture_on_commit_callbacks):
    loan = delinquent_loan(days=40, aged_on=DAY_40)
    # Wednesday Feb 10 2027 is a business day, closable on Thursday Feb 11.
    with django_capture_on_commit_callbacks(execute=True):
        run = nightly_run(
            business_date=DAY_40,
            actor=None,
            trigger=NightlyRun.Trigger.COMMAND,
            only_step="early_intervention",
            today=date(2027, 2, 11),
        )
    step = run.steps.get(name="early_intervention")
    assert (step.status, step.done, step.error_count) == ("completed", 1, 0)
    notice = EarlyInterventionNotice.objects.get(loan=loan)
    assert (notice.sent_on, notice.document.kind) == (DAY_40, "early_intervention")
