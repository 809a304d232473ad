"""The trial balance and GL activity reports: exact figures from hand-computed postings (a backdated entry and a
reversal among them), the tie-out to the loans' sub-ledgers, filters, exports, roles and constant query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from lending.core.reports import export
from servicing.models import LedgerAccount
from servicing.reports.general_ledger import GlActivityReport, TrialBalanceReport
from servicing.selectors import general_ledger as gl
from servicing.services.ledger import journal_post, journal_reverse
from tests.core.factories import user_with_role
from tests.report_helpers import access_cases, assert_access, chart, csv_rows, page_rows, xlsx_rows

pytestmark = pytest.mark.django_db
TRIAL = reverse("reports:trial-balance")
ACTIVITY = reverse("reports:gl-activity")
D = Decimal
ZERO = D("0.00")
REVERSAL_MEMO = "Reversal of JE {je1}: posted in error"


def _post(day: date, debit_account: str, credit_account: str, amount: str, memo: str = ""):
    return journal_post(
        actor=None,
        loan=None,
        effective_date=day,
        kind="adjustment",
        memo=memo or f"{debit_account} / {credit_account}",
        lines=[(debit_account, D(amount), ZERO), (credit_account, ZERO, D(amount))],
    )


@pytest.fixture
def books(client):
    """JE1 Jan 10 Dr cash 100.00 / Cr fee income; JE2 Jan 20 Dr cash 50.25 / Cr fee income; JE3 backdated to
    Jan 5, Dr charge-off loss 10.10 / Cr cash; JE1 reversed effective Jan 25."""
    client.force_login(user_with_role(roles.ACCOUNTING))
    first = _post(date(2027, 1, 10), "cash", "fee_income", "100.00", "Fee A")
    second = _post(date(2027, 1, 20), "cash", "fee_income", "50.25", "Fee B")
    third = _post(date(2027, 1, 5), "charge_off_loss", "cash", "10.10", "Write-off")
    fourth = journal_reverse(actor=None, entry=first, reason="posted in error", effective_date=date(2027, 1, 25))
    return {"je1": str(first.pk), "je2": str(second.pk), "je3": str(third.pk), "je4": str(fourth.pk)}


def _ids(rows: list, books: dict[str, str]) -> list:
    """The expected rows with the entries' numbers filled in ("{je1}" -> JE1's id)."""
    return [[cell.format(**books) for cell in row] for row in rows]


@pytest.mark.parametrize(("role", "allowed"), access_cases(TrialBalanceReport.allowed_roles))
def test_trial_balance_roles(client, role, allowed):
    assert set(TrialBalanceReport.allowed_roles) == {roles.MANAGER, roles.ACCOUNTING}
    assert_access(client, TRIAL, role, allowed)


@pytest.mark.parametrize(("role", "allowed"), access_cases(GlActivityReport.allowed_roles))
def test_gl_activity_roles(client, role, allowed):
    assert set(GlActivityReport.allowed_roles) == {roles.MANAGER, roles.ACCOUNTING}
    assert_access(client, ACTIVITY, role, allowed)


def _row(number: str, name: str, kind: str, debits: str, credits: str, net_debit: str, net_credit: str) -> list:
    return [number, name, kind, debits, credits, net_debit, net_credit]


def test_trial_balance_as_of_jan_24_by_hand(client, books):
    response = client.get(TRIAL, {"as_of": "2027-01-24", "kind": "asset"})
    # Cash: debits 100.00 + 50.25 = 150.25, credit 10.10 -> debit balance 140.15. The other assets: nothing.
    assert page_rows(response) == [
        _row("1000", "Cash and clearing", "Asset", "$150.25", "$10.10", "$140.15", "$0.00"),
        _row("1100", "Loans receivable (principal)", "Asset", "$0.00", "$0.00", "$0.00", "$0.00"),
        _row("1150", "Allowance for loan losses", "Asset", "$0.00", "$0.00", "$0.00", "$0.00"),
        _row("1200", "Interest receivable", "Asset", "$0.00", "$0.00", "$0.00", "$0.00"),
        _row("1300", "Fees receivable", "Asset", "$0.00", "$0.00", "$0.00", "$0.00"),
    ]
    everything = client.get(TRIAL, {"as_of": "2027-01-24"})
    body = everything.content.decode()
    # Debits 150.25 + 10.10 = 160.35 = credits 10.10 + 150.25; balances: cash 140.15 + loss 10.10 = fees 150.25.
    assert 'data-testid="total-debit">$160.35<' in body
    assert 'data-testid="total-credit">$160.35<' in body
    assert 'data-testid="total-net-debit">$150.25<' in body
    assert 'data-testid="total-net-credit">$150.25<' in body
    assert "Debits equal credits: the ledger nets to zero." in body
    assert chart(everything, "balances")["labels"] == [
        "1000 Cash and clearing",
        "4200 Fee income",
        "5100 Charge-off loss",
    ]
    assert chart(everything, "balances")["datasets"][0]["data"] == [140.15, 150.25, 10.1]


def test_trial_balance_after_the_reversal(client, books):
    rows = {row[0]: row for row in page_rows(client.get(TRIAL, {"as_of": "2027-01-25"}))}
    # Jan 25: JE1 reversed: cash credited 100.00 more (150.25 - 110.10 = 40.15); fee income debited 100.00.
    assert rows["1000"] == _row("1000", "Cash and clearing", "Asset", "$150.25", "$110.10", "$40.15", "$0.00")
    assert rows["4200"] == _row("4200", "Fee income", "Income", "$100.00", "$150.25", "$0.00", "$50.25")
    rows = {row[0]: row for row in page_rows(client.get(TRIAL, {"as_of": "2027-01-05"}))}
    assert rows["1000"] == _row("1000", "Cash and clearing", "Asset", "$0.00", "$10.10", "$0.00", "$10.10")


def test_trial_balance_ties_to_the_loans_and_shows_a_difference(client, books):
    body = client.get(TRIAL, {"as_of": "2027-01-31"}).content.decode()
    assert body.count('data-testid="tieout-row"') == 6
    assert body.count('data-testid="tieout-difference">$0.00<') == 6
    _post(date(2027, 1, 26), "cash", "suspense", "5.00")  # unapplied money no loan accounts for
    body = client.get(TRIAL, {"as_of": "2027-01-31"}).content.decode()
    assert body.count('data-testid="tieout-difference">$0.00<') == 5
    assert 'data-testid="tieout-difference">$5.00<' in body


def test_trial_balance_exports_the_filtered_accounts(client, books):
    filters = {"as_of": "2027-01-25", "kind": "income"}
    assert csv_rows(client, TRIAL, **filters) == [
        ["Number", "Account", "Kind", "Debits", "Credits", "Debit balance", "Credit balance"],
        ["4100", "Interest income", "Income", "0.00", "0.00", "0.00", "0.00"],
        ["4200", "Fee income", "Income", "100.00", "150.25", "0.00", "50.25"],
    ]
    assert xlsx_rows(client, TRIAL, **filters)[2] == ["4200", "Fee income", "Income", 100.0, 150.25, 0.0, 50.25]


def test_trial_balance_page_queries_do_not_grow_with_postings(client, books, django_assert_max_num_queries):
    client.get(TRIAL, {"as_of": "2027-01-31"})
    with django_assert_max_num_queries(12) as few:
        client.get(TRIAL, {"as_of": "2027-01-31"})
    for day in range(1, 29):
        _post(date(2027, 2, day), "cash", "fee_income", "1.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(TRIAL, {"as_of": "2027-02-28"}).status_code == 200


def test_a_bad_date_is_refused(client, books):
    assert client.get(TRIAL, {"as_of": "2027-02-30"}).status_code == 400
    assert client.get(ACTIVITY, {"date_from": "not a date"}).status_code == 400
    assert client.get(ACTIVITY, {"account": "999999"}).status_code == 400
    assert client.get(ACTIVITY, {"date_from": "x", "export": "csv"}).status_code == 400


def _cash() -> str:
    return str(LedgerAccount.objects.get(code="cash").pk)


def test_gl_activity_of_cash_over_a_range_by_hand(client, books):
    filters = {"as_of": "2027-01-31", "account": _cash(), "date_from": "2027-01-06", "date_to": "2027-01-20"}
    response = client.get(ACTIVITY, filters)
    assert page_rows(response) == _ids(
        [
            ["Jan 10, 2027", "{je1}", "Adjustment", "1000 Cash and clearing", "", "Fee A", "$100.00", "$0.00"],
            ["Jan 20, 2027", "{je2}", "Adjustment", "1000 Cash and clearing", "", "Fee B", "$50.25", "$0.00"],
        ],
        books,
    )
    [cash] = response.context["activity"]
    # Opening -10.10 (the backdated write-off), debits 150.25, closing 140.15, two lines.
    assert (cash.opening, cash.debit, cash.credit, cash.closing, cash.line_count) == (
        D("-10.10"),
        D("150.25"),
        ZERO,
        D("140.15"),
        2,
    )
    body = response.content.decode()
    assert "Activity from Jan 6, 2027 through Jan 20, 2027" in body
    daily = chart(response, "daily-activity")
    assert daily["labels"] == ["Jan 10", "Jan 20"]
    assert [d["data"] for d in daily["datasets"]] == [[100.0, 50.25], [0.0, 0.0]]


def test_gl_activity_defaults_to_the_month_of_the_as_of_date(client, books):
    response = client.get(ACTIVITY, {"as_of": "2027-01-24"})
    assert (response.context["start"], response.context["end"]) == (date(2027, 1, 1), date(2027, 1, 24))
    # Every account's lines from Jan 1 through Jan 24: JE3 (Jan 5), JE1 (Jan 10), JE2 (Jan 20); not the reversal.
    assert [[row[0], row[1], row[3]] for row in page_rows(response)] == _ids(
        [
            ["Jan 5, 2027", "{je3}", "5100 Charge-off loss"],
            ["Jan 5, 2027", "{je3}", "1000 Cash and clearing"],
            ["Jan 10, 2027", "{je1}", "1000 Cash and clearing"],
            ["Jan 10, 2027", "{je1}", "4200 Fee income"],
            ["Jan 20, 2027", "{je2}", "1000 Cash and clearing"],
            ["Jan 20, 2027", "{je2}", "4200 Fee income"],
        ],
        books,
    )
    activity = {row.account.code: row for row in response.context["activity"]}
    assert (activity["fee_income"].opening, activity["fee_income"].closing) == (ZERO, D("150.25"))
    assert len(activity) == 11  # every account of the chart


def test_gl_activity_exports_every_filtered_line(client, books):
    filters = {"as_of": "2027-01-31", "account": _cash()}
    header = ["Effective", "Entry", "Kind", "Account", "Loan", "Memo", "Debit", "Credit"]
    assert csv_rows(client, ACTIVITY, **filters) == _ids(
        [
            header,
            ["2027-01-05", "{je3}", "Adjustment", "1000 Cash and clearing", "", "Write-off", "0.00", "10.10"],
            ["2027-01-10", "{je1}", "Adjustment", "1000 Cash and clearing", "", "Fee A", "100.00", "0.00"],
            ["2027-01-20", "{je2}", "Adjustment", "1000 Cash and clearing", "", "Fee B", "50.25", "0.00"],
            ["2027-01-25", "{je4}", "Reversal", "1000 Cash and clearing", "", REVERSAL_MEMO, "0.00", "100.00"],
        ],
        books,
    )
    rows = xlsx_rows(client, ACTIVITY, **filters, kind="reversal")
    assert rows[0] == header
    memo = REVERSAL_MEMO.format(**books)
    assert rows[1][1:] == [str(books["je4"]), "Reversal", "1000 Cash and clearing", None, memo, 0.0, 100.0]


def test_gl_activity_page_queries_do_not_grow_with_lines(client, books, django_assert_max_num_queries):
    filters = {"as_of": "2027-02-28", "account": _cash(), "date_from": "2027-01-01"}
    client.get(ACTIVITY, filters)
    with django_assert_max_num_queries(14) as few:
        client.get(ACTIVITY, filters)
    for day in range(1, 29):
        _post(date(2027, 2, day), "cash", "fee_income", "1.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(page_rows(client.get(ACTIVITY, filters))) == 32  # 4 in January + 28 in February


def test_gl_activity_runs_as_many_queries_with_an_account_chosen_as_without(client, books):
    """The account select lists the chart with one query; the chosen account is found in that list, not read again."""
    filters = {"as_of": "2027-01-31", "date_from": "2027-01-06", "date_to": "2027-01-20"}
    client.get(ACTIVITY, filters)  # warm the per-process caches

    def queries(extra: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ACTIVITY, filters | extra).status_code == 200
        return len(captured.captured_queries)

    assert queries({"account": _cash()}) == queries({})


@pytest.mark.postgres
def test_gl_activity_databases_csv_is_byte_for_byte_the_columns_csv(books):
    """The export's cells written by PostgreSQL (no line, entry, account or loan built as a model): the file the
    columns write in Python, a line without a loan and a formula-like memo included."""
    _post(date(2027, 1, 12), "cash", "fee_income", "7.05", "=SUM(A1)")
    report = GlActivityReport()
    rows = report.present_rows(gl.all_lines())
    cells = report.csv_cells(rows)
    assert cells is not None
    written = "".join(export.csv_text_lines(report.columns, cells))
    assert written == "".join(export.csv_lines(report.columns, rows))
    assert ",1000 Cash and clearing,,'=SUM(A1),7.05,0.00\r\n" in written


def test_gl_activity_export_without_dates_is_the_month_of_the_as_of_date(client, books):
    rows = csv_rows(client, ACTIVITY, as_of="2027-01-19", account=_cash())
    assert [row[:2] for row in rows[1:]] == _ids([["2027-01-05", "{je3}"], ["2027-01-10", "{je1}"]], books)
    assert len(csv_rows(client, ACTIVITY, as_of="2027-02-10", account=_cash())) == 1  # February: no lines yet
