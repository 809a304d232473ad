"""The portfolio export's cells written by PostgreSQL (lending.core.reports.sql_cells): byte for byte the file the
columns write in Python, on the values where the two could part: a rate's half (up), a formula-like or quoted
loan number, a missing date, cents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F, Value
from django.urls import reverse

from lending.core import roles
from lending.core.reports import export, sql_cells
from lending.core.reports.columns import DATE, DECIMAL, INTEGER, MONEY, PERCENT, TEXT, Column
from servicing.models import LoanAccount
from servicing.reports.portfolio import PortfolioReport
from servicing.selectors.portfolio import portfolio_loans
from tests.core.factories import user_with_role
from tests.report_helpers import csv_rows
from tests.servicing.reports.book import loan

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
URL = reverse("reports:portfolio")
AS_OF = date(2026, 6, 30)


def shaped(number: str, **fields) -> LoanAccount:
    account = loan()
    LoanAccount.objects.filter(pk=account.pk).update(loan_number=number, **fields)
    return account


def python_csv(rows) -> bytes:
    """The file as the columns write it, cell by cell in Python (the path every other report takes)."""
    report = PortfolioReport()
    return "".join(export.csv_lines(report.columns, report.present_rows(rows))).encode()


def database_csv(rows) -> bytes:
    report = PortfolioReport()
    cells = report.csv_cells(report.present_rows(rows))
    assert cells is not None  # PostgreSQL writes them
    return "".join(export.csv_text_lines(report.columns, cells)).encode()


def test_the_databases_file_is_byte_for_byte_the_columns_file():
    shaped("=HYPERLINK(1)", annual_rate=Decimal("6.1245"), product_code='30 "fixed", jumbo')
    shaped("-2", annual_rate=Decimal("6.1235"), next_due_date=None, status="paid_off")
    shaped("BL-3", annual_rate=Decimal("6.1255"), principal_balance=Decimal("0.00"), status="charged_off")
    shaped("BL-4", annual_rate=Decimal("2.9995"), product_code="@sum", status="active")
    shaped("BL-5", annual_rate=Decimal("10.0000"), principal_balance=Decimal("99999999.99"))
    rows = portfolio_loans(as_of=AS_OF)
    written = database_csv(rows)
    assert written == python_csv(rows)
    lines = written.decode().split("\r\n")
    # Rates to a thousandth, a half up (the project's one rounding): 6.1245 -> 6.125, 6.1235 -> 6.124, 6.1255 -> 6.126.
    assert lines[1].startswith("'-2,")
    assert ",Paid off,6.124,6% to 6.999%," in lines[1]
    assert lines[2].startswith('\'=HYPERLINK(1),"30 ""fixed"", jumbo",Active,6.125,')
    assert ",Charged off,6.126,6% to 6.999%,2026,100000.00,0.00," in lines[3]
    assert ",'@sum,Active,3.000,Under 3%," in lines[4]  # 2.9995 is an exact half: 2.999|5 -> 3.000
    assert ",10.000,10% and over,2026,100000.00,99999999.99," in lines[5]


def test_the_export_streams_the_databases_cells(client):
    client.force_login(user_with_role(roles.ACCOUNTING))
    shaped("BL-1", annual_rate=Decimal("6.5000"))
    shaped("BL-2", annual_rate=Decimal("3.2500"), next_due_date=None)
    rows = csv_rows(client, URL, as_of=AS_OF.isoformat())
    assert [row[:4] + row[7:] for row in rows[1:]] == [
        ["BL-1", rows[1][1], "Active", "6.500", "100000.00", "356", "2026-03-01", "0"],
        ["BL-2", rows[2][1], "Active", "3.250", "100000.00", "356", "", "0"],
    ]


@pytest.mark.parametrize(
    ("kind", "places", "value"),
    [
        (MONEY, 2, Decimal("1234.5")),
        (MONEY, 2, Decimal("-0.005")),  # half away from zero: -0.01
        (MONEY, 2, Decimal("0.004")),
        (PERCENT, 3, Decimal("0.0005")),  # half up: 0.001
        (PERCENT, 3, Decimal("0.0015")),  # 0.002
        (PERCENT, 3, Decimal("-1.2345")),  # half away from zero: -1.235
        (PERCENT, 3, Decimal("-1.2355")),  # -1.236
        (DECIMAL, 1, Decimal("2.25")),  # 2.3
        (DECIMAL, 1, Decimal("2.35")),  # 2.4
        (DECIMAL, 1, Decimal("2.2500001")),  # over the half: 2.3
        (INTEGER, 0, 42),
        (DATE, 0, date(999, 1, 2)),
        (TEXT, 0, "+1 555"),
        (TEXT, 0, "\tx"),
        (TEXT, 0, "plain, 'quoted'"),
        (TEXT, 0, ""),
    ],
)
def test_each_cell_kind_is_written_as_the_column_writes_it(kind, places, value):
    account = loan()
    column = Column("x", "X", kind, places=places)
    cell = {
        MONEY: sql_cells.money,
        INTEGER: sql_cells.integer,
        DATE: sql_cells.day,
        TEXT: sql_cells.text,
    }.get(kind, lambda source: sql_cells.decimal(source, places))
    written = LoanAccount.objects.filter(pk=account.pk).values_list(cell(Value(value)), flat=True).get()
    assert (written or "") == column.csv_cell()({"x": value})


def test_a_label_falls_back_to_the_code():
    account = loan()
    labels = {"active": "Active"}
    found = LoanAccount.objects.filter(pk=account.pk)
    assert found.values_list(sql_cells.label(F("status"), labels), flat=True).get() == "Active"
    assert found.values_list(sql_cells.label(Value("=odd"), labels), flat=True).get() == "'=odd"
