"""A loan's collections page reads its rows by SQL compiled once per process (issue 15, "Load"): each read gives
this loan's rows only, newest first, with the people and documents shown beside them read with them (no query per
row), and a loan that does not exist (or whose key no loan can have) is a 404."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import ContactAttempt, EarlyInterventionNotice, ForeclosureReferral, LossMitigationApplication
from servicing.selectors import collections as collections_selectors
from servicing.selectors import loss_mitigation as lm_selectors
from servicing.selectors.plans import loan_plans
from servicing.services import collections, payments, plans
from servicing.services.collections import cease_contact_set, promise_make
from servicing.services.modification import modification_cancel, modification_propose
from servicing.services.plans import forbearance_create, repayment_plan_create
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import APPROVED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))
    for module in (plans, collections, lm_selectors):
        monkeypatch.setattr(module, "_today", lambda: APPROVED)


def _contact(loan, collector, at: str, note: str) -> ContactAttempt:
    return ContactAttempt.objects.create(
        loan=loan, collector=collector, channel="letter", outcome="sent", at=at, note=note
    )


def test_the_page_reads_its_loans_own_contacts_and_promises_newest_first_with_who_made_them(
    django_assert_num_queries,
):
    mine, theirs = delinquent_loan(), delinquent_loan()
    cora = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    mo = user_with_role(roles.MANAGER, first_name="Mo", last_name="Manager")
    older, newer = _contact(mine, cora, "2026-11-01T12:00Z", "older"), _contact(mine, mo, "2026-12-01T12:00Z", "newer")
    _contact(theirs, cora, "2026-12-15T12:00Z", "not mine")
    kept = promise_make(actor=mo, loan=mine, amount=Decimal("120.00"), promised_date=date(2027, 2, 20))
    promise_make(actor=cora, loan=theirs, amount=Decimal("99.00"), promised_date=date(2027, 2, 20))
    cease_contact_set(actor=mo, loan=mine)
    page = collections_selectors.collections_page(mine.pk)
    assert page is not None
    with django_assert_num_queries(0):  # the people beside each row came with it
        assert page.loan.pk == mine.pk
        assert page.loan.cease_contact_by.get_full_name() == "Mo Manager"
        assert page.loan.collector is None
        assert [(c.pk, c.note, c.collector.get_full_name()) for c in page.contacts] == [
            (newer.pk, "newer", "Mo Manager"),
            (older.pk, "older", "Cora Collector"),
        ]
        assert [(p.pk, p.amount, p.made_by.get_full_name()) for p in page.promises] == [
            (kept.pk, Decimal("120.00"), "Mo Manager")
        ]
        assert page.open_promise == kept
        assert page.bring_current == Decimal("5817.46")  # the arrears a repayment plan spreads (test_views_plans)
        assert page.loan.promise_amount == Decimal("120.00")


def test_a_missing_loan_and_a_key_beyond_bigint_are_404(client):
    client.force_login(user_with_role(roles.COLLECTOR))
    loan = delinquent_loan()
    assert collections_selectors.collections_page(loan.pk + 1000) is None
    for pk in (loan.pk + 1000, 2**63, 10**20):
        assert client.get(reverse("collections:loan", args=[pk])).status_code == 404, pk
    assert client.get(reverse("collections:loan", args=[loan.pk])).status_code == 200


def test_the_page_shows_its_own_contacts_and_promises_only(client):
    mine, theirs = delinquent_loan(), delinquent_loan()
    cora = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    _contact(mine, cora, "2026-12-01T17:30Z", "Left a letter")
    _contact(theirs, cora, "2026-12-02T17:30Z", "Their letter")
    promise_make(actor=cora, loan=theirs, amount=Decimal("99.00"), promised_date=date(2027, 2, 20))
    client.force_login(cora)
    body = client.get(reverse("collections:loan", args=[mine.pk])).content.decode()
    contacts = re.search(r'<table[^>]*data-testid="contacts">.*?</table>', body, re.S)
    assert contacts is not None
    assert re.findall(r"<tr><td>[^<]*</td>.*?</tr>", contacts.group(0)) == [
        "<tr><td>2026-12-01 12:30</td><td>Letter</td><td>No</td><td>Sent</td><td>Cora Collector</td>"
        "<td>Left a letter</td></tr>"
    ]
    assert "$99.00" not in body
    assert "Their letter" not in body


def test_the_plans_are_the_loans_own_newest_first_with_their_people_and_months(django_assert_num_queries):
    mine, theirs = delinquent_loan(), delinquent_loan()
    cora = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    mo = user_with_role(roles.MANAGER, first_name="Mo", last_name="Manager")
    first = modification_propose(actor=cora, loan=mine, new_rate=Decimal("5"), term_periods=360)
    modification_cancel(actor=mo, modification=first)
    forbearance = forbearance_create(actor=mo, loan=mine, months=2, reduced_payment=Decimal("0"))
    plans.plan_cancel(actor=mo, plan=forbearance)
    repayment = repayment_plan_create(actor=mo, loan=mine, months=4)
    plans.plan_cancel(actor=mo, plan=repayment)
    second = modification_propose(actor=mo, loan=mine, new_rate=Decimal("4.5"), term_periods=360)
    forbearance_create(actor=mo, loan=theirs, months=3, reduced_payment=Decimal("0"))
    with django_assert_num_queries(4):  # three reads together, and the repayment plans' months
        found = loan_plans(mine.pk)
    with django_assert_num_queries(0):
        assert [(m.pk, m.new_rate, m.proposed_by.get_full_name(), m.agreement) for m in found.modifications] == [
            (second.pk, Decimal("4.5000"), "Mo Manager", None),
            (first.pk, Decimal("5.0000"), "Cora Collector", None),
        ]
        assert [(f.pk, f.months, f.created_by.get_full_name()) for f in found.forbearances] == [
            (forbearance.pk, 2, "Mo Manager")
        ]
        assert [(p.pk, p.months, p.created_by.get_full_name()) for p in found.repayment_plans] == [
            (repayment.pk, 4, "Mo Manager")
        ]
        assert [m.due_date for m in found.repayment_plans[0].schedule.all()] == [
            date(2027, 3, 1),
            date(2027, 4, 1),
            date(2027, 5, 1),
            date(2027, 6, 1),
        ]
    planless = delinquent_loan()
    with django_assert_num_queries(3):  # no repayment plan: no months to read
        assert loan_plans(planless.pk).empty


def test_the_loss_mitigation_rows_are_the_loans_own_with_their_documents_and_people(django_assert_num_queries):
    mine, theirs = delinquent_loan(), delinquent_loan()
    cora = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    for loan, sent_on in ((mine, date(2027, 2, 10)), (mine, date(2027, 1, 10)), (theirs, date(2027, 2, 12))):
        EarlyInterventionNotice.objects.create(
            loan=loan, delinquency_start=date(2027, 1, 1), sent_on=sent_on, due_by=sent_on
        )
    apps = [  # one open application a loan: the first one decided
        LossMitigationApplication.objects.create(
            loan=loan,
            status=status,
            received_on=received_on,
            received_by=cora,
            acknowledge_by=date(2027, 2, 20),
            decided_on=received_on if status == "denied" else None,
            denial_reasons="No income." if status == "denied" else "",
        )
        for loan, status, received_on in (
            (mine, "denied", date(2027, 2, 1)),
            (mine, "incomplete", date(2027, 2, 11)),
            (theirs, "incomplete", date(2027, 2, 12)),
        )
    ]
    referral = ForeclosureReferral.objects.create(
        loan=mine, referred_on=date(2027, 2, 15), attorney="A. Lawyer", referred_by=cora, days_past_due=45
    )
    ForeclosureReferral.objects.create(
        loan=theirs, referred_on=date(2027, 2, 15), attorney="B. Lawyer", referred_by=cora, days_past_due=45
    )
    with django_assert_num_queries(6):  # due dates, calls, the three reads together, the applications' documents
        section = lm_selectors.loss_mitigation_section(mine)
    with django_assert_num_queries(0):
        assert [n.sent_on for n in section.notices] == [date(2027, 2, 10), date(2027, 1, 10)]
        assert [(row.application.pk, row.application.received_by.get_full_name()) for row in section.applications] == [
            (apps[1].pk, "Cora Collector"),
            (apps[0].pk, "Cora Collector"),
        ]
        assert [list(row.application.documents.all()) for row in section.applications] == [[], []]
        assert section.referral == referral
        assert (section.referral.attorney, section.referral.referred_by.get_full_name()) == (
            "A. Lawyer",
            "Cora Collector",
        )
    other = lm_selectors.loss_mitigation_section(delinquent_loan())
    assert (other.notices, other.applications, other.referral) == ([], [], None)
