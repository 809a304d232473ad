"""Collections services: cease contact refuses every contact, promises' limits, round-robin assignment, a
manager's reassignment; each audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import ContactAttempt, LoanAccount, PromiseToPay
from servicing.services import collections
from servicing.services.collections import (
    CollectionsError,
    cease_contact_clear,
    cease_contact_set,
    contact_log,
    loan_reassign,
    loans_assign,
    promise_make,
)
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db
NOON_CHICAGO = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 12:00 CST


@pytest.fixture
def collector():
    return user_with_role(roles.COLLECTOR)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 16))
    return date(2027, 2, 16)


def test_cease_contact_refuses_every_channel_until_cleared(collector):
    loan = delinquent_loan()
    manager = user_with_role(roles.MANAGER)
    cease_contact_set(actor=collector, loan=loan, note="Letter of Dec 1")
    loan.refresh_from_db()
    assert (loan.cease_contact, loan.cease_contact_by) == (True, collector)
    for channel in ("call", "letter", "email"):
        with pytest.raises(CollectionsError) as refused:
            contact_log(actor=collector, loan=loan, channel=channel, outcome="sent", at=NOON_CHICAGO)
        assert str(refused.value).startswith("The borrower asked us to cease contact on ")
        assert "no call, letter or email may be made" in str(refused.value)
    assert ContactAttempt.objects.count() == 0
    first_set = loan.cease_contact_at
    cease_contact_set(actor=manager, loan=loan)  # set twice: the first request's date and author stand
    loan.refresh_from_db()
    assert (loan.cease_contact_at, loan.cease_contact_by) == (first_set, collector)
    cease_contact_clear(actor=manager, loan=loan, note="Withdrawn in writing")
    contact_log(actor=collector, loan=loan, channel="call", outcome="no_answer", at=NOON_CHICAGO)
    assert ContactAttempt.objects.count() == 1
    verbs = list(AuditEvent.objects.filter(verb__startswith="loan.cease").values_list("verb", flat=True))
    assert sorted(verbs) == ["loan.cease_contact_cleared", "loan.cease_contact_set"]


def test_contact_log_refuses_a_future_time_and_bad_choices(collector):
    loan = delinquent_loan()
    with pytest.raises(CollectionsError) as refused:
        contact_log(
            actor=collector, loan=loan, channel="call", outcome="no_answer", at=datetime(2099, 1, 1, tzinfo=UTC)
        )
    assert refused.value.field == "at"
    with pytest.raises(CollectionsError) as refused:
        contact_log(actor=collector, loan=loan, channel="fax", outcome="sent", at=NOON_CHICAGO)
    assert refused.value.field == "channel"
    assert ContactAttempt.objects.count() == 0


def test_promise_limits(collector, today):
    loan = delinquent_loan()
    cases = [
        (Decimal("0.00"), date(2027, 2, 20), "amount", "The amount must be more than $0.00."),
        (Decimal("-5.00"), date(2027, 2, 20), "amount", "The amount must be more than $0.00."),
        (Decimal("10.00"), date(2027, 2, 15), "promised_date", "The promised date cannot be in the past."),
        # Feb 16 + 30 days = Mar 18; Mar 19 is too far.
        (
            Decimal("10.00"),
            date(2027, 3, 19),
            "promised_date",
            "The promised date must be within 30 days (by Mar 18, 2027).",
        ),
    ]
    for amount, promised, field, message in cases:
        with pytest.raises(CollectionsError) as refused:
            promise_make(actor=collector, loan=loan, amount=amount, promised_date=promised)
        assert (refused.value.field, str(refused.value)) == (field, message)
    # The bounds themselves are allowed: today and 30 days out.
    first = promise_make(actor=collector, loan=loan, amount=Decimal("5817.46"), promised_date=date(2027, 2, 16))
    assert (first.made_on, first.status, first.made_by) == (date(2027, 2, 16), "pending", collector)
    with pytest.raises(CollectionsError, match="already has an open promise"):
        promise_make(actor=collector, loan=loan, amount=Decimal("1.00"), promised_date=date(2027, 3, 18))
    PromiseToPay.objects.filter(pk=first.pk).update(status="broken", resolved_on=date(2027, 2, 16))
    promise_make(actor=collector, loan=loan, amount=Decimal("1.00"), promised_date=date(2027, 3, 18))
    assert AuditEvent.objects.filter(verb="loan.promise_made", target_id=str(loan.pk)).count() == 2


def test_round_robin_gives_the_least_loaded_collector_first():
    a, b, c = (user_with_role(roles.COLLECTOR) for _ in range(3))
    inactive = user_with_role(roles.COLLECTOR, is_active=False)
    loans = [delinquent_loan() for _ in range(5)]
    current = delinquent_loan()
    LoanAccount.objects.filter(pk=current.pk).update(days_past_due=0, delinquency_bucket="current")
    LoanAccount.objects.filter(pk=loans[0].pk).update(collector=a)  # a already holds one
    assert loans_assign(actor=None) == 4
    owners = dict(LoanAccount.objects.values_list("pk", "collector"))
    # a holds 1, b and c none: loans[1] -> b (0, lowest pk), loans[2] -> c, loans[3] -> a (all at 1: lowest pk),
    # loans[4] -> b.
    assert [owners[loan.pk] for loan in loans] == [a.pk, b.pk, c.pk, a.pk, b.pk]
    assert owners[current.pk] is None  # current loans are not worked
    assert inactive.pk not in owners.values()
    assert AuditEvent.objects.filter(verb="loan.collector_assigned").count() == 4
    assert loans_assign(actor=None) == 0  # nothing left unassigned


def test_assignment_by_bucket_and_without_collectors():
    with pytest.raises(CollectionsError, match="no active collector"):
        loans_assign(actor=None)
    a = user_with_role(roles.COLLECTOR)
    early = delinquent_loan(days=10, bucket="1-29")
    late = delinquent_loan(days=95, bucket="90-119")
    assert loans_assign(actor=None, bucket="90-119") == 1
    assert dict(LoanAccount.objects.values_list("pk", "collector")) == {early.pk: None, late.pk: a.pk}


def test_only_active_loans_a_day_or_more_past_due_are_worked_and_loaded():
    a, b = (user_with_role(roles.COLLECTOR) for _ in range(2))
    one_day = delinquent_loan(days=1, bucket="1-29")  # a day past due: already worked
    charged_off = delinquent_loan(days=200, bucket="180+")  # still aged, but no longer active
    held = delinquent_loan(days=200, bucket="180+")  # a's, charged off too
    LoanAccount.objects.filter(pk=held.pk).update(collector=a)
    LoanAccount.objects.filter(pk__in=[charged_off.pk, held.pk]).update(status=LoanAccount.Status.CHARGED_OFF)
    # One loan to give: a's charged-off loan is not part of a's load, so a and b hold 0 each: a (lowest pk).
    assert loans_assign(actor=None) == 1
    owners = dict(LoanAccount.objects.values_list("pk", "collector"))
    assert owners == {one_day.pk: a.pk, charged_off.pk: None, held.pk: a.pk}
    assert b.pk not in owners.values()


def test_only_a_manager_reassigns(collector):
    loan = delinquent_loan()
    other = user_with_role(roles.COLLECTOR)
    with pytest.raises(CollectionsError, match="Only a manager"):
        loan_reassign(actor=collector, loan=loan, collector=other)
    manager = user_with_role(roles.MANAGER)
    servicer = user_with_role(roles.SERVICER)
    with pytest.raises(CollectionsError, match="Choose an active collector"):
        loan_reassign(actor=manager, loan=loan, collector=servicer)
    loan_reassign(actor=manager, loan=loan, collector=other)
    loan.refresh_from_db()
    assert loan.collector == other
    event = AuditEvent.objects.get(verb="loan.collector_reassigned")
    assert (event.before, event.after) == ({"collector": None}, {"collector": other.pk})


def _event(verb: str, loan: LoanAccount) -> AuditEvent:
    return AuditEvent.objects.get(verb=verb, target_id=str(loan.pk), target_type__model="loanaccount")


def test_a_reassignment_is_audited_with_the_collector_it_took_the_loan_from():
    manager = user_with_role(roles.MANAGER)
    first, second = (user_with_role(roles.COLLECTOR) for _ in range(2))
    loan = delinquent_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(collector=first)
    loan_reassign(actor=manager, loan=loan, collector=second)
    loan.refresh_from_db()
    assert loan.collector == second
    event = _event("loan.collector_reassigned", loan)
    assert (event.actor, event.before, event.after) == (manager, {"collector": first.pk}, {"collector": second.pk})
    # Back to the pool: unassigned is None, not a collector.
    loan_reassign(actor=manager, loan=loan, collector=None)
    loan.refresh_from_db()
    assert loan.collector is None
    last = AuditEvent.objects.filter(verb="loan.collector_reassigned").latest("pk")
    assert (last.before, last.after) == ({"collector": second.pk}, {"collector": None})


def test_a_reassignment_is_refused_in_words_and_writes_nothing():
    manager = user_with_role(roles.MANAGER)
    collector = user_with_role(roles.COLLECTOR)
    gone = user_with_role(roles.COLLECTOR, is_active=False)
    loan = delinquent_loan()
    with pytest.raises(CollectionsError) as refused:
        loan_reassign(actor=collector, loan=loan, collector=collector)
    assert (str(refused.value), refused.value.field) == ("Only a manager may reassign a loan.", None)
    for not_a_collector in (gone, user_with_role(roles.SERVICER)):
        with pytest.raises(CollectionsError) as refused:
            loan_reassign(actor=manager, loan=loan, collector=not_a_collector)
        assert (str(refused.value), refused.value.field) == ("Choose an active collector.", "collector")
    loan.refresh_from_db()
    assert loan.collector is None
    assert not AuditEvent.objects.filter(verb="loan.collector_reassigned").exists()


def test_setting_and_clearing_cease_contact_are_audited_with_who_when_and_why(collector):
    manager = user_with_role(roles.MANAGER)
    loan = delinquent_loan()
    cease_contact_set(actor=collector, loan=loan, note="Letter of Dec 1")
    set_event = _event("loan.cease_contact_set", loan)
    assert (set_event.actor, set_event.before, set_event.after, set_event.note) == (
        collector,
        {},
        {"cease_contact": True},
        "Letter of Dec 1",
    )
    loan.refresh_from_db()
    asked_at = loan.cease_contact_at
    cease_contact_clear(actor=manager, loan=loan)  # no note given: none recorded
    cleared = _event("loan.cease_contact_cleared", loan)
    assert (cleared.actor, cleared.after, cleared.note) == (manager, {"cease_contact": False}, "")
    # The request cleared: when it was made (as the audit log stores a time) and by whom.
    assert cleared.before == {"cease_contact_at": DjangoJSONEncoder().default(asked_at), "by": collector.pk}
    loan.refresh_from_db()
    assert (loan.cease_contact, loan.cease_contact_at, loan.cease_contact_by) == (False, None, None)
    cease_contact_clear(actor=manager, loan=loan)  # already clear: nothing more is written
    assert AuditEvent.objects.filter(verb="loan.cease_contact_cleared").count() == 1


def test_cease_contact_set_without_a_note_records_none(collector):
    loan = delinquent_loan()
    cease_contact_set(actor=collector, loan=loan)
    assert _event("loan.cease_contact_set", loan).note == ""


@pytest.fixture
def now_is_noon_in_chicago(monkeypatch):
    """The clock stands at Dec 1 2026 18:00 UTC (12:00 CST, 13:00 in New York, the servicer's zone)."""
    monkeypatch.setattr(timezone, "now", lambda: NOON_CHICAGO)
    return NOON_CHICAGO


@pytest.mark.parametrize(
    ("channel", "outcome", "at", "field", "message"),
    [
        ("fax", "sent", NOON_CHICAGO, "channel", "Choose a call, letter or email."),
        ("call", "hung_up_angrily", NOON_CHICAGO, "outcome", "Choose an outcome."),
        ("call", "no_answer", datetime(2026, 12, 1, 12, 0), "at", "The contact time needs a time zone."),
        # Five minutes of clock drift are allowed; 5 minutes and 1 second ahead is the future.
        (
            "call",
            "no_answer",
            NOON_CHICAGO + timedelta(minutes=5, seconds=1),
            "at",
            "A contact cannot be logged in the future.",
        ),
    ],
)
def test_each_bad_contact_is_refused_in_words_and_nothing_is_written(
    collector, now_is_noon_in_chicago, channel, outcome, at, field, message
):
    loan = delinquent_loan()
    with pytest.raises(CollectionsError) as refused:
        contact_log(actor=collector, loan=loan, channel=channel, outcome=outcome, at=at)
    assert (str(refused.value), refused.value.field) == (message, field)
    assert not ContactAttempt.objects.exists()
    assert not AuditEvent.objects.filter(verb="loan.contact_logged").exists()


def test_a_contact_five_minutes_ahead_of_the_clock_is_logged_with_its_audit_row(collector, now_is_noon_in_chicago):
    loan = delinquent_loan()
    ahead = NOON_CHICAGO + timedelta(minutes=5)  # 12:05 CST, within the drift allowed
    attempt = contact_log(actor=collector, loan=loan, channel="call", outcome="no_answer", at=ahead)
    attempt.refresh_from_db()
    # Not said: no right-party contact and no note.
    assert (attempt.loan, attempt.collector, attempt.channel, attempt.at) == (loan, collector, "call", ahead)
    assert (attempt.right_party_contact, attempt.outcome, attempt.note) == (False, "no_answer", "")
    event = _event("loan.contact_logged", loan)
    assert (event.actor, event.before) == (collector, {})
    assert event.after == {
        "contact": attempt.pk,
        "channel": "call",
        "outcome": "no_answer",
        "at": "2026-12-01T18:05:00+00:00",
        "right_party_contact": False,
    }


def test_a_contact_without_a_time_is_logged_now(collector, now_is_noon_in_chicago):
    loan = delinquent_loan()
    attempt = contact_log(
        actor=collector, loan=loan, channel="letter", outcome="sent", right_party_contact=True, note="Demand letter"
    )
    attempt.refresh_from_db()
    assert (attempt.at, attempt.right_party_contact, attempt.note) == (NOON_CHICAGO, True, "Demand letter")


def test_the_cease_contact_refusal_gives_the_day_it_was_asked(collector, monkeypatch):
    loan = delinquent_loan()
    # Asked on Nov 20 2026 (11:00 New York time); the contact is tried on Dec 1.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    cease_contact_set(actor=collector, loan=loan)
    monkeypatch.setattr(timezone, "now", lambda: NOON_CHICAGO)
    with pytest.raises(CollectionsError) as refused:
        contact_log(actor=collector, loan=loan, channel="email", outcome="sent")
    assert str(refused.value) == (
        "The borrower asked us to cease contact on Nov 20, 2026: no call, letter or email may be made "
        "(a manager may clear the flag if the request is withdrawn)."
    )
    assert refused.value.field is None


def test_the_least_loaded_collector_takes_loans_until_level_then_the_lowest_pk():
    a, b = (user_with_role(roles.COLLECTOR) for _ in range(2))
    held = [delinquent_loan() for _ in range(3)]
    LoanAccount.objects.filter(pk__in=[loan.pk for loan in held]).update(collector=a)
    new = [delinquent_loan() for _ in range(4)]
    assert loans_assign(actor=None) == 4
    owners = dict(LoanAccount.objects.values_list("pk", "collector"))
    # a holds 3, b none: b takes three (1, 2, 3 against a's 3); at 3 each the tie goes to a (lower pk).
    assert [owners[loan.pk] for loan in new] == [b.pk, b.pk, b.pk, a.pk]


def test_assignment_to_the_collectors_given_and_each_assignment_audited():
    manager = user_with_role(roles.MANAGER)
    a, b = (user_with_role(roles.COLLECTOR) for _ in range(2))
    loans = [delinquent_loan() for _ in range(2)]
    assert loans_assign(actor=manager, collectors=[b]) == 2  # only b, though a is an active collector too
    owners = dict(LoanAccount.objects.values_list("pk", "collector"))
    assert [owners[loan.pk] for loan in loans] == [b.pk, b.pk]
    events = AuditEvent.objects.filter(verb="loan.collector_assigned").order_by("pk")
    rows = [(e.actor, e.target_id, e.target_type.model, e.before, e.after) for e in events]
    assert rows == [(manager, str(loan.pk), "loanaccount", {"collector": None}, {"collector": b.pk}) for loan in loans]
    assert a.pk not in owners.values()


def test_assignment_without_a_collector_is_refused_in_words():
    delinquent_loan()
    with pytest.raises(CollectionsError) as refused:
        loans_assign(actor=None, collectors=[])
    assert str(refused.value) == "There is no active collector to assign loans to."
    assert not LoanAccount.objects.filter(collector__isnull=False).exists()


def test_assigning_many_loans_costs_the_queries_of_one():
    team = [user_with_role(roles.COLLECTOR)]
    delinquent_loan()
    with CaptureQueriesContext(connection) as one:
        assert loans_assign(actor=None, collectors=team) == 1
    for _ in range(3):
        delinquent_loan()
    with CaptureQueriesContext(connection) as three:
        assert loans_assign(actor=None, collectors=team) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (None, "The amount must be more than $0.00."),
        (Decimal("0.001"), "The amount is in dollars and cents."),
        (Decimal("25.005"), "The amount is in dollars and cents."),
    ],
)
def test_a_promise_of_no_amount_or_of_a_part_of_a_cent_is_refused(collector, today, amount, message):
    loan = delinquent_loan()
    with pytest.raises(CollectionsError) as refused:
        promise_make(actor=collector, loan=loan, amount=amount, promised_date=date(2027, 2, 20))
    assert (str(refused.value), refused.value.field) == (message, "amount")
    assert not PromiseToPay.objects.exists()


def test_a_promise_is_refused_on_a_loan_no_longer_active_and_beside_an_open_one(collector, today):
    loan = delinquent_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.CHARGED_OFF)
    with pytest.raises(CollectionsError) as refused:
        promise_make(actor=collector, loan=loan, amount=Decimal("10.00"), promised_date=date(2027, 2, 20))
    assert (str(refused.value), refused.value.field) == ("The loan is not active.", None)
    open_loan = delinquent_loan()
    promise_make(actor=collector, loan=open_loan, amount=Decimal("10.00"), promised_date=date(2027, 2, 20))
    with pytest.raises(CollectionsError) as refused:
        promise_make(actor=collector, loan=open_loan, amount=Decimal("10.00"), promised_date=date(2027, 2, 21))
    assert (str(refused.value), refused.value.field) == (
        "The loan already has an open promise: it is resolved on its date first.",
        None,
    )
    assert PromiseToPay.objects.count() == 1


def test_a_promise_is_written_and_audited_with_its_amount_and_date(collector, today):
    loan = delinquent_loan()
    promise = promise_make(actor=collector, loan=loan, amount=Decimal("2421.20"), promised_date=date(2027, 3, 1))
    promise.refresh_from_db()
    assert (promise.loan, promise.amount, promise.promised_date) == (loan, Decimal("2421.20"), date(2027, 3, 1))
    assert (promise.made_on, promise.made_by, promise.status) == (date(2027, 2, 16), collector, "pending")
    event = _event("loan.promise_made", loan)
    assert (event.actor, event.before) == (collector, {})
    assert event.after == {"promise": promise.pk, "amount": "2421.20", "promised_date": "2027-03-01"}


def test_clearing_cease_contact_records_why(collector):
    manager = user_with_role(roles.MANAGER)
    loan = delinquent_loan()
    cease_contact_set(actor=collector, loan=loan)
    cease_contact_clear(actor=manager, loan=loan, note="Withdrawn in writing on Dec 3")
    assert _event("loan.cease_contact_cleared", loan).note == "Withdrawn in writing on Dec 3"
