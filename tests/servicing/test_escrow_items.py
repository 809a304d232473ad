"""Escrow items as the servicer keeps them (servicing.services.escrow): the calendar of an item's payments, what
is refused and why (field by field, in words), and what a save writes (the item, the loan's first analysis date,
the audit row) or, refused, leaves unwritten.

The loan (tests.servicing.factories.boarded_loan): disbursed 2026-11-13, first payment 2027-01-01; property tax
$4,800.00 in two payments (next 2027-06-01, payment 1 of 2) and insurance $1,500.00 (next 2027-12-01).
"""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import EscrowItem, LoanAccount
from servicing.services.escrow import (
    EscrowItemError,
    analysis_date_for_year,
    escrow_item_problems,
    escrow_item_save,
    item_following,
    item_occurrences,
    item_payment,
)
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

D = Decimal


def _item(**fields):
    values = {
        "kind": EscrowItem.Kind.FLOOD_INSURANCE,
        "description": "Flood insurance premium",
        "payee": "NFIP",
        "annual_amount": D("880.00"),
        "payments_per_year": 1,
        "next_due_date": date(2027, 9, 1),
        "next_payment_number": 1,
    }
    values.update(fields)
    return EscrowItem(**values)


# --- the calendar (no database) -------------------------------------------------------------------------------


def test_the_analysis_date_is_30_days_before_the_next_computation_year():
    # A year starting 2028-03-01: the next starts 2029-03-01, less 30 days = 2029-01-30.
    assert analysis_date_for_year(date(2028, 3, 1)) == date(2029, 1, 30)
    assert analysis_date_for_year(date(2028, 1, 1)) == date(2028, 12, 2)


def test_each_payment_of_the_year_is_rounded_down_and_the_last_carries_the_remainder():
    # 1,000.00 in 3 payments: 333.33, 333.33 and 333.34; 4,800.01 in 2: 2,400.00 and 2,400.01.
    assert [item_payment(D("1000.00"), 3, n) for n in (1, 2, 3)] == [D("333.33"), D("333.33"), D("333.34")]
    assert [item_payment(D("4800.01"), 2, n) for n in (1, 2)] == [D("2400.00"), D("2400.01")]


@pytest.mark.parametrize(
    ("due", "per_year", "number", "following"),
    [
        (date(2027, 6, 1), 2, 1, (date(2027, 12, 1), 2)),  # six months on, payment 2 of 2
        (date(2027, 12, 1), 2, 2, (date(2028, 6, 1), 1)),  # the year's last: payment 1 of the next year
        (date(2027, 1, 31), 12, 1, (date(2027, 2, 28), 2)),  # a month on, clamped to February's end
        (date(2027, 11, 15), 4, 4, (date(2028, 2, 15), 1)),  # three months on
        (date(2027, 12, 1), 1, 1, (date(2028, 12, 1), 1)),  # a year on
    ],
)
def test_an_item_s_next_payment_is_12_over_payments_per_year_months_on(due, per_year, number, following):
    assert item_following(due, per_year, number) == following


def test_an_item_s_payments_run_from_its_next_due_date_up_to_but_not_including_the_bound():
    item = _item(annual_amount=D("1000.00"), payments_per_year=3, next_due_date=date(2027, 9, 1), next_payment_number=2)
    # Every 4 months from 2027-09-01, payment 2 of 3: 2027-09-01 (#2, 333.33), 2028-01-01 (#3, 333.34),
    # 2028-05-01 (#1, 333.33); 2028-09-01 is the bound itself: not included.
    assert [(o.due_date, o.payment_number, o.amount) for o in item_occurrences(item, before=date(2028, 9, 1))] == [
        (date(2027, 9, 1), 2, D("333.33")),
        (date(2028, 1, 1), 3, D("333.34")),
        (date(2028, 5, 1), 1, D("333.33")),
    ]
    assert item_occurrences(item, before=date(2027, 9, 1)) == []


# --- what is refused --------------------------------------------------------------------------------------------


def test_a_well_formed_item_without_a_loan_has_no_problem():
    assert escrow_item_problems(_item()) == {}
    # The smallest amount, the highest payment number of a monthly item: still fine.
    assert escrow_item_problems(_item(annual_amount=D("0.01"), payments_per_year=12, next_payment_number=12)) == {}


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"annual_amount": D("0.00")}, {"annual_amount": "Must be greater than zero."}),
        ({"annual_amount": D("-0.01")}, {"annual_amount": "Must be greater than zero."}),
        ({"annual_amount": None}, {"annual_amount": "Must be greater than zero."}),
        ({"annual_amount": D("10.005")}, {"annual_amount": "Whole cents only."}),
        ({"payments_per_year": 5}, {"payments_per_year": "Must divide the year: 1, 2, 3, 4, 6 or 12."}),
        ({"payments_per_year": 2, "next_payment_number": 3}, {"next_payment_number": "Must be from 1 to 2."}),
        ({"payments_per_year": 12, "next_payment_number": 0}, {"next_payment_number": "Must be from 1 to 12."}),
        ({"payments_per_year": 12, "next_payment_number": 13}, {"next_payment_number": "Must be from 1 to 12."}),
        ({"next_payment_number": None}, {"next_payment_number": "Must be from 1 to 1."}),
        ({"next_due_date": None}, {"next_due_date": "Give the date the next payment is due."}),
        ({"description": "  "}, {"description": "Say what the bill is."}),
        ({"description": None}, {"description": "Say what the bill is."}),
    ],
)
def test_a_bad_field_is_named_with_what_is_wrong(fields, problems):
    assert escrow_item_problems(_item(**fields)) == problems


def test_every_bad_field_is_named_at_once():
    item = _item(annual_amount=D("0"), payments_per_year=7, next_due_date=None, description="")
    assert escrow_item_problems(item) == {
        "annual_amount": "Must be greater than zero.",
        "payments_per_year": "Must divide the year: 1, 2, 3, 4, 6 or 12.",
        "next_due_date": "Give the date the next payment is due.",
        "description": "Say what the bill is.",
    }


@pytest.mark.django_db
def test_a_payment_due_on_or_before_the_loan_s_disbursement_is_refused():
    loan = boarded_loan()  # disbursed 2026-11-13
    message = "Must be after the loan's disbursement date 2026-11-13."
    assert escrow_item_problems(_item(loan=loan, next_due_date=date(2026, 11, 13))) == {"next_due_date": message}
    assert escrow_item_problems(_item(loan=loan, next_due_date=date(2026, 11, 14))) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "words"), [(LoanAccount.Status.PAID_OFF, "paid off"), (LoanAccount.Status.CHARGED_OFF, "charged off")]
)
def test_an_item_of_a_loan_no_longer_active_is_refused(status, words):
    loan = boarded_loan()
    loan.status = status
    assert escrow_item_problems(_item(loan=loan)) == {"loan": f"{loan.loan_number} is {words}: its escrow is closed."}


# --- what a save writes -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_item_is_saved_and_audited_with_its_fields():
    loan = boarded_loan()
    servicer = user_with_role(roles.SERVICER)
    item = escrow_item_save(actor=servicer, item=_item(loan=loan))
    stored = EscrowItem.objects.get(pk=item.pk)
    assert (stored.loan_id, stored.annual_amount, stored.next_due_date) == (loan.pk, D("880.00"), date(2027, 9, 1))
    event = AuditEvent.objects.get(verb="escrow_item.added")
    assert (event.actor_id, event.target_id, event.before) == (servicer.pk, str(item.pk), {})
    assert event.after == {
        "loan": loan.loan_number,
        "kind": "flood_insurance",
        "description": "Flood insurance premium",
        "payee": "NFIP",
        "annual_amount": "880.00",
        "payments_per_year": 1,
        "next_due_date": "2027-09-01",
        "next_payment_number": 1,
    }
    loan.refresh_from_db()
    assert loan.escrow_analysis_date == date(2027, 12, 2)  # already scheduled: kept


@pytest.mark.django_db
def test_a_changed_item_is_audited_with_its_fields_before_and_after():
    loan = boarded_loan()
    tax = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)
    tax.annual_amount, tax.payee = D("5123.45"), "County treasurer"
    escrow_item_save(actor=None, item=tax)
    event = AuditEvent.objects.get(verb="escrow_item.changed")
    assert (event.before["annual_amount"], event.after["annual_amount"]) == ("4800.00", "5123.45")
    assert (event.before["payee"], event.after["payee"]) == ("", "County treasurer")
    assert event.before["next_due_date"] == event.after["next_due_date"] == "2027-06-01"
    assert EscrowItem.objects.get(pk=tax.pk).annual_amount == D("5123.45")


@pytest.mark.django_db
def test_a_refused_item_raises_its_problems_and_writes_nothing():
    loan = boarded_loan()
    with pytest.raises(EscrowItemError) as refused:
        escrow_item_save(actor=None, item=_item(loan=loan, annual_amount=D("0"), description=""))
    assert refused.value.errors == {
        "annual_amount": "Must be greater than zero.",
        "description": "Say what the bill is.",
    }
    assert str(refused.value) == "annual_amount: Must be greater than zero.; description: Say what the bill is."
    assert not EscrowItem.objects.filter(loan=loan, kind=EscrowItem.Kind.FLOOD_INSURANCE).exists()
    assert not AuditEvent.objects.filter(verb__startswith="escrow_item.").exists()


@pytest.mark.django_db
def test_a_loan_paid_off_since_the_form_was_read_is_refused_under_the_lock():
    loan = boarded_loan()
    item = _item(loan=loan)  # the loan as read: active
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    with pytest.raises(EscrowItemError) as refused:
        escrow_item_save(actor=None, item=item)
    assert refused.value.errors == {"loan": f"{loan.loan_number} is paid off."}
    assert item.pk is None
    assert not AuditEvent.objects.filter(verb__startswith="escrow_item.").exists()


@pytest.mark.django_db
def test_an_item_stays_on_its_loan():
    loan, other = boarded_loan(), boarded_loan()
    tax = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)
    tax.loan = other
    with pytest.raises(EscrowItemError) as refused:
        escrow_item_save(actor=None, item=tax)
    assert refused.value.errors == {"loan": "An item stays on its loan: add a new item instead."}
    assert EscrowItem.objects.get(pk=tax.pk).loan_id == loan.pk
    assert not AuditEvent.objects.filter(verb__startswith="escrow_item.").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_due", "analysis"),
    [
        # The first computation year starts with the next installment; the analysis 30 days before a year on.
        (date(2027, 3, 1), date(2028, 1, 31)),
        # No installment due (none left unpaid): from the first payment date, 2027-01-01: 2027-12-02.
        (None, date(2027, 12, 2)),
    ],
)
def test_a_loan_without_escrow_gets_its_analysis_scheduled_with_its_first_item(next_due, analysis):
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=None, next_due_date=next_due)
    loan.refresh_from_db()
    escrow_item_save(actor=None, item=_item(loan=loan))
    loan.refresh_from_db()
    assert loan.escrow_analysis_date == analysis
