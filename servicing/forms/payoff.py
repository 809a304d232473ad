"""Payoff forms: a quote request (staff and borrower) and the payoff posting. The services validate the rules
(dates against the loan's postings, the amount against the payoff); these forms only parse the input."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django import forms

from servicing.models import LoanTransaction

# Default good-through, in days after today. Staff: 30, the window title companies and refinance lenders order
# payoffs for (closings are scheduled weeks out; the per diem covers a slip). Borrowers paying from their own
# funds: 10, the time a wire or mailed check takes, so an early payment leaves little to refund.
STAFF_DEFAULT_GOOD_THROUGH_DAYS = 30
PORTAL_DEFAULT_GOOD_THROUGH_DAYS = 10
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class StaffQuoteForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=DATE_INPUT, help_text="The balances of this date (today or earlier).")
    good_through = forms.DateField(
        label="Good through", widget=DATE_INPUT, help_text="Interest is counted through this date, inclusive."
    )

    @classmethod
    def initial_for(cls, today: date) -> dict:
        return {"as_of": today, "good_through": today + timedelta(days=STAFF_DEFAULT_GOOD_THROUGH_DAYS)}


class PortalQuoteForm(forms.Form):
    good_through = forms.DateField(
        label="Funds will arrive by",
        widget=DATE_INPUT,
        help_text="The quote counts interest through this date (at most 30 days from today).",
    )

    @classmethod
    def initial_for(cls, today: date) -> dict:
        return {"good_through": today + timedelta(days=PORTAL_DEFAULT_GOOD_THROUGH_DAYS)}


class PayoffPostForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), label="Amount received")
    effective_date = forms.DateField(label="Received on", widget=DATE_INPUT)
    method = forms.ChoiceField(choices=LoanTransaction.Method.choices, initial=LoanTransaction.Method.WIRE)
    reference = forms.CharField(max_length=100, required=False, help_text="Wire or check reference.")
    # Generated when the form is shown: a double submit or a retried request posts once.
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, today: date, amount) -> dict:
        return {"amount": amount, "effective_date": today, "idempotency_key": f"payoff-{uuid.uuid4()}"}
