"""A payment posted from a screen writes its two audit rows as their columns (``lending.core.services.audit_row``),
not as model instances (issue 15): the rows stored are the ones the instances wrote (who, what, the target, the
record as JSON), on PostgreSQL in the loan's statement and elsewhere one by one, and instances given beside them
still get their ids."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.middleware import _request_id
from lending.core.models import AuditEvent
from lending.core.services import (
    SYSTEM_ACTOR_LABEL,
    audit_event,
    audit_event_of,
    audit_row,
    audit_row_of,
    audit_rows_insert_sql,
)
from servicing.models import LoanAccount
from servicing.services.ledger_entry import (
    journal_audit_event,
    journal_audit_row,
    journal_entry_write,
    posting_prepare_one,
)
from servicing.services.posting_write import loan_save_posted
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
DAY = date(2027, 1, 5)
RECORD = {"amount": D("60.10"), "on": date(2027, 1, 5), "replay": None}
STORED = {"amount": "60.10", "on": "2027-01-05", "replay": None}


@pytest.fixture
def loan():
    return boarded_loan(consumer=True)


def _posting(loan):
    posting = posting_prepare_one(
        loan=loan,
        effective_date=DAY,
        kind="payment",
        memo="pay",
        lines=[("cash", D("60.10"), ZERO), ("suspense", ZERO, D("60.10"))],
    )
    journal_entry_write(actor=None, posting=posting)
    return posting


def _columns(row):
    return row._replace(created_at=None)


def test_an_audit_rows_columns_are_the_ones_its_instance_writes(loan):
    servicer = user_with_role(roles.SERVICER)
    token = _request_id.set("req-rows")
    try:
        row = audit_row(actor=servicer, verb="loan.noted", target=loan, before={"a": 1}, after=RECORD, note="n")
        event = audit_event(actor=servicer, verb="loan.noted", target=loan, before={"a": 1}, after=RECORD, note="n")
    finally:
        _request_id.reset(token)
    assert _columns(row) == _columns(audit_row_of(event))
    assert row.actor_id == servicer.pk
    assert (row.actor_label, row.verb, row.target_id, row.target_repr) == (
        servicer.email,
        "loan.noted",
        str(loan.pk),
        str(loan),
    )
    assert (row.before, row.after, row.note, row.request_id) == (
        '{"a": 1}',
        event._json_texts["after"][1],
        "n",
        "req-rows",
    )
    assert event.after == STORED


def test_an_audit_row_of_the_system_or_of_nothing_in_particular():
    row = audit_row(actor=None, verb="job.ran", request_id="given")
    assert (row.actor_id, row.actor_label, row.target_type_id, row.target_id, row.target_repr) == (
        None,
        SYSTEM_ACTOR_LABEL,
        None,
        "",
        "",
    )
    assert (row.before, row.after, row.note, row.request_id) == ("{}", "{}", "", "given")
    with pytest.raises(ValueError, match="verb is required"):
        audit_row(actor=None, verb="")


def test_an_audit_rows_instance_holds_its_record_as_stored():
    row = audit_row(actor=None, verb="job.ran", after=RECORD, before={"b": D("1.50")})
    event = audit_event_of(row)
    assert (event.pk, event.verb, event.actor_label, event.created_at) == (
        None,
        "job.ran",
        SYSTEM_ACTOR_LABEL,
        row.created_at,
    )
    assert (event.before, event.after) == ({"b": "1.50"}, STORED)


def test_the_insert_of_rows_has_one_values_list_each_and_their_columns_in_order():
    rows = [audit_row(actor=None, verb="one.done"), audit_row(actor=None, verb="two.done")]
    sql, params = audit_rows_insert_sql(rows)
    assert sql.count("%s::jsonb, %s::jsonb") == 2
    assert params == [*rows[0], *rows[1]]


def test_a_posting_saved_with_audit_rows_writes_them_in_order_as_the_instances_would(loan):
    servicer = user_with_role(roles.SERVICER)
    posting = _posting(loan)
    entry_row = journal_audit_row(actor=servicer, posting=posting)
    posted = audit_row(actor=servicer, verb="payment.posted", target=loan, after=RECORD)
    expected = journal_audit_event(actor=servicer, posting=posting)
    before = AuditEvent.objects.count()
    loan_save_posted(loan, posting, audit=[entry_row, posted])
    stored = list(AuditEvent.objects.order_by("id"))[before:]
    assert [(e.verb, e.target_id, e.actor, e.actor_label, e.created_at) for e in stored] == [
        ("journal.posted", str(posting.entry.pk), servicer, servicer.email, entry_row.created_at),
        ("payment.posted", str(loan.pk), servicer, servicer.email, posted.created_at),
    ]
    assert [e.after for e in stored] == [expected.after, STORED]
    assert [e.target_type.model for e in stored] == ["journalentry", "loanaccount"]
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("60.10")


def test_instances_saved_beside_rows_get_their_own_ids(loan):
    posting = _posting(loan)
    first = audit_event(actor=None, verb="first.done", target=loan)
    middle = audit_row(actor=None, verb="middle.done", target=loan)
    last = audit_event(actor=None, verb="last.done", target=loan)
    loan_save_posted(loan, posting, audit=[first, middle, last])
    assert (first._state.adding, last._state.adding) == (False, False)
    assert AuditEvent.objects.get(pk=first.pk).verb == "first.done"
    assert AuditEvent.objects.get(pk=last.pk).verb == "last.done"
    assert AuditEvent.objects.get(pk=first.pk + 1).verb == "middle.done"
    assert last.pk == first.pk + 2
