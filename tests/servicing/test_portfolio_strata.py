"""The portfolio's kept strata (``PortfolioStratum``, PostgreSQL): the loans' triggers keep them equal to the
loans' own sums through every kind of write, and the report's strata read from them (with the as-of corrections:
loans disbursed later counted out, the remaining term clamped at zero past maturity) equal the strata grouped from
the loans, for any as-of date and filter; the nightly merge keeps every sum; ``ledger_verify`` finds a wrong stratum
and ``ledger_daily_rebuild`` repairs it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicing.models import LoanAccount, PortfolioStratum
from servicing.selectors import portfolio as selectors
from servicing.services.portfolio_strata import portfolio_strata_compact
from tests.hypothesis_budget import examples
from tests.servicing.factories import funded_application
from tests.servicing.reports.book import loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

D = Decimal
AS_OF_DATES = [date(2020, 1, 1), date(2025, 12, 31), date(2026, 6, 30), date(2031, 3, 15), date(2060, 1, 1)]
FILTERS: list[dict[str, Any]] = [
    {},
    {"status": "active"},
    {"rate_band": 6},
    {"vintage": 2021},
    {"product_code": "none-such"},
]


def flat(strata: selectors.Strata) -> list[tuple]:
    everything = [strata.total, *strata.by_product, *strata.by_status, *strata.by_rate_band, *strata.by_vintage]
    return [(s.label, s.loans, s.balance, s.rate_weight, s.term_weight) for s in everything]


def assert_kept_equals_live() -> None:
    for as_of in AS_OF_DATES:
        for filters in FILTERS:
            live = selectors.portfolio_strata(selectors.portfolio_loans(as_of=as_of).filter(**filters))
            assert flat(selectors.portfolio_strata_as_of(as_of=as_of, filters=filters)) == flat(live), (as_of, filters)
    assert selectors.portfolio_strata_mismatches() == []


def shape(account: LoanAccount, **fields) -> LoanAccount:
    LoanAccount.objects.filter(pk=account.pk).update(**fields)
    account.refresh_from_db()
    return account


@pytest.fixture
def book() -> list[LoanAccount]:
    """Four loans: one as boarded (6.5 %, first payment 2026); one disbursed 2021 at 3.25 %; one matured Jan 2026
    still owing $1,000.00 (a remaining term that must clamp at zero); one paid off."""
    return [
        loan(),
        shape(
            loan(),
            annual_rate=D("3.2500"),
            principal_balance=D("50000.00"),
            disbursement_date=date(2021, 2, 1),
            first_payment_date=date(2021, 3, 1),
            maturity_date=date(2036, 3, 1),
        ),
        shape(
            loan(),
            principal_balance=D("1000.00"),
            disbursement_date=date(2015, 1, 2),
            first_payment_date=date(2015, 2, 1),
            maturity_date=date(2026, 1, 1),
        ),
        shape(loan(), annual_rate=D("7.1250"), principal_balance=D("0.00"), status="paid_off"),
    ]


def test_the_kept_strata_are_the_loans_strata_as_of_any_date_and_filter(book):
    assert_kept_equals_live()
    # As of Jun 30, 2026 the matured loan's $1,000.00 has 0 remaining months (not Jan 2026 - Jun 2026 = -5): the
    # book's term weight is the boarded loan's and the 2021 loan's only.
    strata = selectors.portfolio_strata_as_of(as_of=date(2026, 6, 30), filters={})
    boarded, older, _matured, _paid = book
    months = [(m.year * 12 + m.month) - (2026 * 12 + 6) for m in (boarded.maturity_date, older.maturity_date)]
    assert strata.total.term_weight == boarded.principal_balance * months[0] + D("50000.00") * months[1]
    assert strata.total.balance == boarded.principal_balance + D("51000.00")
    # As of 2020 only the 2015 loan had been disbursed.
    assert selectors.portfolio_strata_as_of(as_of=date(2020, 1, 1), filters={}).total.loans == 1


def test_every_kind_of_write_keeps_them(book):
    boarded, older, matured, paid = book
    LoanAccount.objects.filter(pk=boarded.pk).update(principal_balance=F("principal_balance") - D("90.40"))
    shape(older, annual_rate=D("6.0000"))  # to another rate band: out of one stratum, into another
    shape(matured, status="charged_off", principal_balance=D("0.00"))
    paid.status = "active"
    paid.save()  # a whole-row save
    copy = LoanAccount.objects.get(pk=boarded.pk)
    copy.pk, copy.loan_number, copy.application = None, "L-COPY", funded_application()
    copy.save()  # inserted, then deleted
    assert_kept_equals_live()
    LoanAccount.objects.filter(pk=copy.pk).delete()
    assert_kept_equals_live()


def test_a_statement_adds_a_row_per_stratum_it_changes_and_none_for_interest(book):
    boarded, older, _matured, _paid = book
    rows = PortfolioStratum.objects.count()
    LoanAccount.objects.update(interest_due=F("interest_due") + D("1.00"))  # the nightly accrual: no stratum moves
    assert PortfolioStratum.objects.count() == rows
    LoanAccount.objects.filter(pk=boarded.pk).update(principal_balance=F("principal_balance") - D("10.00"))
    assert PortfolioStratum.objects.count() == rows + 1
    shape(older, annual_rate=D("6.0000"))
    assert PortfolioStratum.objects.count() == rows + 3  # out of band 3, into band 6
    assert_kept_equals_live()


def test_the_nightly_merge_keeps_every_sum_drops_empty_strata_and_is_idempotent(book):
    boarded, older, *_ = book
    shape(older, annual_rate=D("6.0000"))  # band 3 now holds no loan: its rows cancel out
    LoanAccount.objects.filter(pk=boarded.pk).update(principal_balance=F("principal_balance") - D("10.00"))
    before = flat(selectors.portfolio_strata_as_of(as_of=date(2026, 6, 30), filters={}))
    merged = portfolio_strata_compact()
    assert merged > 0
    assert not PortfolioStratum.objects.filter(rate_band=3).exists()
    assert PortfolioStratum.objects.values("product_code", "status", "rate_band", "vintage").distinct().count() == (
        PortfolioStratum.objects.count()
    )
    assert flat(selectors.portfolio_strata_as_of(as_of=date(2026, 6, 30), filters={})) == before
    assert portfolio_strata_compact() == 0
    assert_kept_equals_live()


def test_ledger_verify_finds_a_wrong_stratum_and_the_rebuild_repairs_it(book):
    PortfolioStratum.objects.create(product_code="X", status="active", rate_band=5, vintage=2020, loans=1)
    out = StringIO()
    with pytest.raises(CommandError, match=r"ledger_verify found \d+ problem"):  # the fixture's shaped loans too
        call_command("ledger_verify", stdout=out)
    assert (
        "Portfolio stratum X / active / 5 / 2020: kept (1, Decimal('0.00'), Decimal('0.000000'), "
        "Decimal('0.000000')), the loans say (0, Decimal('0.00'), Decimal('0.00'), Decimal('0.00')) "
        "(manage.py ledger_daily_rebuild repairs it)\n"
    ) in out.getvalue()
    call_command("ledger_daily_rebuild", stdout=StringIO())
    assert selectors.portfolio_strata_mismatches() == []
    assert not PortfolioStratum.objects.filter(product_code="X").exists()


change = st.tuples(
    st.integers(0, 3),  # which loan
    st.sampled_from(["balance", "rate", "status", "maturity", "first_payment"]),
    st.integers(0, 40),
)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(change, min_size=1, max_size=8), compact=st.booleans())
def test_random_writes_keep_the_kept_strata_equal_to_the_loans(book, changes, compact):
    with transaction.atomic():
        for index, kind, n in changes:
            loans = LoanAccount.objects.filter(pk=book[index].pk)
            if kind == "balance":
                loans.update(principal_balance=D(n * 1234) / 100)
            elif kind == "rate":
                loans.update(annual_rate=D(n) / 4)
            elif kind == "status":
                loans.update(status=["active", "paid_off", "charged_off"][n % 3])
            elif kind == "maturity":
                loans.update(maturity_date=date(2010 + n, 1 + n % 12, 1))
            else:  # disbursed the month before its first payment (a constraint)
                first = date(2000 + n, 1 + n % 12, 1)
                loans.update(disbursement_date=first.replace(day=1) - timedelta(days=20), first_payment_date=first)
        if compact:
            portfolio_strata_compact()
        assert_kept_equals_live()
        transaction.set_rollback(True)
