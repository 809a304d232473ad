"""A queue row, drawn in Python (``{% queue_row %}``): every cell's exact text, the dashes for what is missing, and
what a borrower or collector typed escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.template import Context, Template
from django.test import override_settings

from lending.core.models import User
from servicing.models import LoanAccount
from servicing.selectors.loss_mitigation import DONE, LATE, Deadline

LINK = "/staff/collections/loans/"


def _row(loan: LoanAccount) -> str:
    return Template("{% load collections_queue %}{% queue_row loan link %}").render(
        Context({"loan": loan, "link": LINK})
    )


def _loan(**figures) -> LoanAccount:
    loan = LoanAccount(pk=41, loan_number="BL-00041", borrower_name="Ann <b>& Co", days_past_due=47)
    loan.delinquency_bucket = "30-59"
    values = {
        "bring_current": Decimal("5817.456"),  # a computed sum with a third digit: shown to the cent, half up
        "property_state": "IL",
        "last_contact_at": None,
        "promise_amount": None,
        "promise_date": None,
        "reg_x": [],
    }
    for name, value in (values | figures).items():
        setattr(loan, name, value)
    return loan


def test_a_row_with_nothing_on_file_shows_dashes_and_unassigned():
    loan = _loan(property_state=None)
    assert _row(loan) == (
        '<tr data-testid="queue-row"><td><a href="/staff/collections/loans/41/">BL-00041</a></td>'
        "<td>Ann &lt;b&gt;&amp; Co</td>"
        '<td class="text-end" data-testid="dpd">47</td><td><span class="badge text-bg-warning">30-59</span></td>'
        '<td class="text-end" data-testid="bring-current">$5,817.46</td><td>—</td>'
        '<td data-testid="collector"><span class="text-muted">Unassigned</span></td>'
        '<td>—</td><td data-testid="promise">—</td><td class="small" data-testid="reg-x">—</td></tr>'
    )


@override_settings(TIME_ZONE="America/Chicago")
def test_a_full_row_shows_each_figure_in_its_cell():
    loan = _loan(
        last_contact_at=datetime(2027, 2, 10, 15, 5, tzinfo=UTC),  # 9:05 in Chicago
        promise_amount=Decimal("1200.00"),
        promise_date=date(2027, 2, 20),
        reg_x=[
            Deadline("Live contact", date(2027, 2, 6), DONE, date(2027, 2, 3), "payment due 2027-01-01"),
            Deadline("Written notice", date(2027, 2, 15), LATE, note="<i>"),
        ],
    )
    loan.cease_contact_at = datetime(2027, 2, 1, tzinfo=UTC)
    loan.collector = User(pk=7, first_name="Cora", last_name="Collector", email="cora@lending.test")
    row = _row(loan)
    assert row == (
        '<tr data-testid="queue-row"><td><a href="/staff/collections/loans/41/">BL-00041</a>'
        ' <span class="badge text-bg-danger">Cease contact</span></td>'
        "<td>Ann &lt;b&gt;&amp; Co</td>"
        '<td class="text-end" data-testid="dpd">47</td><td><span class="badge text-bg-warning">30-59</span></td>'
        '<td class="text-end" data-testid="bring-current">$5,817.46</td><td>IL</td>'
        '<td data-testid="collector">Cora Collector</td><td>2027-02-10 09:05</td>'
        '<td data-testid="promise">$1,200.00 by 2027-02-20</td><td class="small" data-testid="reg-x">'
        '<div><span data-testid="deadline">Live contact: <span class="badge text-bg-success">done</span>'
        " by 2027-02-06, done 2027-02-03 (payment due 2027-01-01)</span></div>"
        '<div><span data-testid="deadline">Written notice: <span class="badge text-bg-danger">late</span>'
        " by 2027-02-15 (&lt;i&gt;)</span></div></td></tr>"
    )


def test_a_collector_without_a_name_shows_the_email():
    loan = _loan()
    loan.collector = User(pk=8, first_name="", last_name="", email="c8@lending.test")
    assert '<td data-testid="collector">c8@lending.test</td>' in _row(loan)
