"""The monthly figures behind the portfolio and payment reports: what a refresh computes, and which months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from lending.core.models import AuditEvent
from servicing.models import PortfolioMonth
from servicing.services.portfolio_months import months_all, next_month, portfolio_months_refresh
from tests.servicing.reports.book import book, pay

pytestmark = pytest.mark.django_db
FIELDS = (
    "month",
    "payments",
    "principal_collected",
    "prepayment",
    "interest_collected",
    "escrow_collected",
    "fees_collected",
    "principal_change",
)


def rows(product: str) -> list[tuple]:
    return list(PortfolioMonth.objects.filter(product_code=product).order_by("month").values_list(*FIELDS))


def test_a_refresh_sums_each_months_payments_and_principal_per_product():
    the_book = book()
    assert portfolio_months_refresh(actor=None) == [date(2026, 1, 1), date(2026, 3, 1)]
    # A: disbursed 100,000.00 in January (loans receivable debited); in March installment 1 (principal 90.40,
    # interest 559.73, escrow 525.00) and a 5,000.00 curtailment: principal down 90.40 + 5,000.00 = 5,090.40.
    assert rows(the_book.a.product_code) == [
        (
            date(2026, 1, 1),
            0,
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("100000.00"),
        ),
        (
            date(2026, 3, 1),
            2,
            Decimal("90.40"),
            Decimal("5000.00"),
            Decimal("559.73"),
            Decimal("525.00"),
            Decimal("0.00"),
            Decimal("-5090.40"),
        ),
    ]
    assert rows(the_book.b.product_code)[1] == (
        date(2026, 3, 1),
        1,
        Decimal("90.40"),
        Decimal("0.00"),
        Decimal("559.73"),
        Decimal("525.00"),
        Decimal("0.00"),
        Decimal("-90.40"),
    )
    event = AuditEvent.objects.get(verb="portfolio_months.refreshed")
    assert event.after["months"] == ["2026-01-01", "2026-03-01"]


def test_the_next_refresh_redoes_only_the_months_posted_to_since():
    the_book = book()
    portfolio_months_refresh(actor=None)
    assert portfolio_months_refresh(actor=None) == []  # nothing posted since
    pay(the_book.b, Decimal("1000.00"), date(2026, 4, 10), "ach", "b2", directive="principal_only")
    assert portfolio_months_refresh(actor=None) == [date(2026, 4, 1)]
    april = PortfolioMonth.objects.get(month=date(2026, 4, 1), product_code=the_book.b.product_code)
    assert (april.payments, april.prepayment, april.principal_change) == (1, Decimal("1000.00"), Decimal("-1000.00"))


def test_the_command_rebuilds_every_month(capsys):
    book()
    assert months_all() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    call_command("refresh_portfolio_months", "--all")
    assert "Portfolio months refreshed: 3." in capsys.readouterr().out
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
