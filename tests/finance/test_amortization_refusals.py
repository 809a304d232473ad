"""Loan terms are refused in words that name the field and the values allowed (issue 17), and accepted terms are
normalised to Decimals; the schedule must fit in years 1..9999 exactly, not a period more or less."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.finance.amortization import LoanTerms, build_schedule, level_payment, periodic_ratio, periods_per_year

D = Decimal


def _terms(**changes):
    values = {
        "principal": D("1000.00"),
        "annual_rate": D("6"),
        "term_periods": 12,
        "disbursement_date": date(2027, 1, 1),
        "first_payment_date": date(2027, 2, 1),
    }
    values.update(changes)
    return LoanTerms(**values)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: periods_per_year("fortnightly"),
            "frequency: unknown 'fortnightly'; use one of monthly, semimonthly, biweekly, weekly, quarterly",
        ),
        (lambda: periodic_ratio("abc", 12), "annual_rate: 'abc' is not a number"),  # type: ignore[arg-type]
        (lambda: level_payment("abc", D("6"), 12), "principal: 'abc' is not a number"),  # type: ignore[arg-type]
        (
            lambda: _terms(first_payment_date=date(2027, 1, 1)),
            "first_payment_date must be after disbursement_date",
        ),
        (
            lambda: _terms(amortization="bullet"),
            "amortization: unknown 'bullet'; use one of level, equal_principal, interest_only, balloon",
        ),
        (
            lambda: _terms(interest_only_periods=3),
            "interest_only_periods: only allowed with amortization='interest_only'",
        ),
        (lambda: _terms(balloon_after_periods=3), "balloon_after_periods: only allowed with amortization='balloon'"),
        (lambda: build_schedule("terms"), "terms: must be LoanTerms, got str"),  # type: ignore[arg-type]
        (
            lambda: _terms(term_periods=13, disbursement_date=date(9998, 12, 1), first_payment_date=date(9999, 1, 1)),
            "term_periods: the schedule would run outside years 1..9999",
        ),
    ],
)
def test_refused_terms_name_the_field_and_what_is_allowed(make, words):
    with pytest.raises(ValueError, match=r"^\w") as refused:
        make()
    assert str(refused.value) == words


def test_whole_number_terms_are_kept_as_decimals():
    terms = _terms(principal=1000, annual_rate=6)
    assert (type(terms.principal), str(terms.principal)) == (Decimal, "1000.00")
    assert (type(terms.annual_rate), str(terms.annual_rate)) == (Decimal, "6")


def test_a_schedule_ending_in_december_9999_is_accepted():
    terms = _terms(disbursement_date=date(9998, 12, 1), first_payment_date=date(9999, 1, 1))
    assert build_schedule(terms).rows[-1].due_date == date(9999, 12, 1)


def test_a_schedule_starting_in_february_of_year_1_is_accepted():
    # Its first period starts on January 1 of year 1, the first date there is.
    terms = _terms(disbursement_date=date(1, 1, 1), first_payment_date=date(1, 2, 1))
    assert build_schedule(terms).rows[0].due_date == date(1, 2, 1)
