"""Collections services: cease contact refuses every contact, promises' limits, round-robin assignment, a
manager's reassignment; each audited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import ContactAttempt, LoanAccount, PromiseToPay
from servicing.services import collections
from servicing.services.collections import (
    CollectionsError,
    cease_contact_clear,
    cease_contact_set,
    contact_log,
    loan_property_state,
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


def test_a_loan_boarded_without_its_property_has_no_property_state():
    loan = delinquent_loan()
    assert loan_property_state(loan) == "IL"
    LoanAccount.objects.filter(pk=loan.pk).update(application=None)  # as a loan boarded from a transfer
    loan.refresh_from_db()
    assert loan_property_state(loan) == ""
    with_blank_state = delinquent_loan()
    property_ = with_blank_state.application.subject_property
    property_.state = ""
    property_.save(update_fields=["state"])
    assert loan_property_state(with_blank_state) == ""


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
