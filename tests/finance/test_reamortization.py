"""Re-deriving a schedule's rest from the balance: the same rows as the schedule when nothing moved off it,
a level payment and an exact payoff when principal was prepaid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.reamortization import Row, reamortize
from tests.hypothesis_budget import examples

D = Decimal


def _rest(schedule, after: int, balance: Decimal, terms: LoanTerms):
    rows = schedule.rows[after:]
    return reamortize(
        balance=balance,
        annual_rate=terms.annual_rate,
        per_year=terms.periods_per_year,
        rows=[Row(row.number, row.principal) for row in rows],
        level_payment=schedule.regular_payment,
        amortization=terms.amortization,
        interest_only_periods=terms.interest_only_periods,
    )


@st.composite
def loan_terms(draw):
    kind = draw(st.sampled_from(["level", "equal_principal", "interest_only", "balloon"]))
    term = draw(st.integers(min_value=3, max_value=120))
    extra = {}
    if kind == "interest_only":
        extra["interest_only_periods"] = draw(st.integers(min_value=1, max_value=term))
    if kind == "balloon":
        extra["balloon_after_periods"] = draw(st.integers(min_value=2, max_value=term - 1))
    return LoanTerms(
        principal=D(draw(st.integers(min_value=100_000, max_value=100_000_000))).scaleb(-2),
        annual_rate=D(draw(st.integers(min_value=0, max_value=2_000))).scaleb(-2),
        term_periods=term,
        disbursement_date=date(2026, 1, 15),
        first_payment_date=date(2026, 3, 1),
        amortization=kind,
        **extra,
    )


@settings(max_examples=examples(300), deadline=None)
@given(loan_terms(), st.data())
def test_on_schedule_the_rest_is_the_schedule(terms, data):
    schedule = build_schedule(terms)
    after = data.draw(st.integers(min_value=1, max_value=len(schedule.rows) - 1))
    rest = _rest(schedule, after, schedule.balance_after(after), terms)
    assert rest == [(row.principal, row.interest) for row in schedule.rows[after:]]


@settings(max_examples=examples(300), deadline=None)
@given(loan_terms(), st.data())
def test_after_a_prepayment_the_rest_repays_exactly_what_is_owed(terms, data):
    schedule = build_schedule(terms)
    after = data.draw(st.integers(min_value=1, max_value=len(schedule.rows) - 1))
    owed = schedule.balance_after(after)
    prepaid = D(data.draw(st.integers(min_value=0, max_value=int(owed * 100)))).scaleb(-2)
    rest = _rest(schedule, after, owed - prepaid, terms)
    assert sum((principal for principal, _ in rest), D(0)) == owed - prepaid
    for (principal, interest), row in zip(rest, schedule.rows[after:], strict=True):
        assert principal >= 0
        assert interest <= row.interest  # a lower balance never costs more interest
        if terms.amortization in ("level", "balloon") and row.number < len(schedule.rows):
            assert principal + interest <= schedule.regular_payment


def test_hand_computed_200k_at_6_5_after_10k_prepaid_with_payment_3():
    terms = LoanTerms(
        principal=D("200000.00"),
        annual_rate=D("6.5"),
        term_periods=360,
        disbursement_date=date(2026, 12, 1),
        first_payment_date=date(2027, 1, 1),
    )
    schedule = build_schedule(terms)
    assert schedule.balance_after(3) == D("199454.63")
    rest = _rest(schedule, 3, D("189454.63"), terms)
    assert rest[:2] == [(D("237.93"), D("1026.21")), (D("239.22"), D("1024.92"))]
    assert rest[309] == (D("221.33"), D("1.20"))  # installment 313 pays it off
    assert set(rest[310:]) == {(D("0.00"), D("0.00"))}
