"""The reports framework (lending.core.reports): roles, the as-of date, filters, the table, charts, exports, the
registry and the index, on a test-only report over users (tests/core/urls_reports.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from lending.core import reports, roles
from lending.core.calendar import current_business_date
from lending.core.reports import registry
from lending.core.reports import views as report_views
from tests.core.factories import UserFactory, user_with_role
from tests.core.urls_reports import UserReport
from tests.report_helpers import access_cases, assert_access, chart, csv_rows, page_rows, xlsx_rows

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_reports")]
URL = "/staff/test-reports/users/"
AS_OF = date(2026, 3, 31)


@pytest.fixture
def as_of(monkeypatch):
    """The report's default date: the current business date, pinned."""
    monkeypatch.setattr(report_views, "current_business_date", lambda: AS_OF)
    return AS_OF


@pytest.fixture
def manager(client):
    user = user_with_role(roles.MANAGER, email="zz-manager@lending.test", first_name="Morgan")
    user.date_joined = datetime(2026, 1, 2, 15, tzinfo=UTC)
    user.save()
    client.force_login(user)
    return user


def joined(email: str, day: date, first_name: str = "Ann"):
    return UserFactory.create(
        email=email, first_name=first_name, date_joined=datetime(*day.timetuple()[:3], 12, tzinfo=UTC)
    )


@pytest.fixture
def three_users(manager, as_of):
    joined("a@x.test", date(2026, 1, 5))
    joined("bb@x.test", date(2026, 2, 7), first_name="=HYPERLINK()")  # a formula: exported with a quote
    joined("later@x.test", date(2026, 4, 1))  # after the as-of date: not a row


# --- roles -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "allowed"), access_cases(UserReport.allowed_roles))
def test_the_report_opens_for_its_roles_only(client, role, allowed, as_of):
    assert_access(client, URL, role, allowed)


@pytest.mark.parametrize(("role", "allowed"), access_cases(UserReport.allowed_roles))
def test_exports_are_refused_to_other_roles_too(client, role, allowed, as_of):
    if role is not None:
        client.force_login(user_with_role(role))
    response = client.get(URL, {"export": "csv"})
    assert response.status_code == (200 if allowed else 302 if role is None else 403)


def test_managers_and_accounting_are_the_default_report_roles():
    assert reports.REPORT_ROLES == (roles.MANAGER, roles.ACCOUNTING)
    assert reports.ReportView.allowed_roles == reports.REPORT_ROLES


# --- the as-of date and the table --------------------------------------------------------------------------
def test_the_default_as_of_is_the_current_business_date(client, three_users):
    response = client.get(URL)
    assert response.context["as_of"] == AS_OF
    assert response.context["filterset"].form["as_of"].value() == "2026-03-31"
    assert 'data-testid="as-of">As of Mar 31, 2026.' in response.content.decode()


def test_current_business_date_is_today_or_the_last_business_day():
    assert current_business_date(date(2026, 12, 4)) == date(2026, 12, 4)  # a Friday
    assert current_business_date(date(2026, 12, 5)) == date(2026, 12, 4)  # Saturday: Friday's
    assert current_business_date(date(2026, 12, 25)) == date(2026, 12, 24)  # Christmas (a Friday): Thursday's


def test_the_table_shows_a_page_of_filtered_rows_formatted_by_column(client, three_users):
    response = client.get(URL)
    # page_size 2: a@, bb@ on page 1 (email order); zz-manager@ on page 2; later@ joined after Mar 31.
    assert page_rows(response) == [
        ["a@x.test", "Ann", "Jan 5, 2026", "$1,234.50", "6.125%", "8"],
        ["bb@x.test", "=HYPERLINK()", "Feb 7, 2026", "$1,234.50", "6.125%", "9"],
    ]
    assert response.context["page_obj"].paginator.count == 3
    body = response.content.decode()
    assert '<td class="text-end">$1,234.50</td>' in body
    assert "1\N{EN DASH}2 of 3" in body
    second = client.get(URL, {"page": "2"})
    assert page_rows(second) == [["zz-manager@lending.test", "Morgan", "Jan 2, 2026", "$1,234.50", "6.125%", "23"]]


def test_an_earlier_as_of_date_leaves_out_later_rows(client, three_users):
    response = client.get(URL, {"as_of": "2026-01-31"})
    assert [row[0] for row in page_rows(response)] == ["a@x.test", "zz-manager@lending.test"]
    assert response.context["as_of"] == date(2026, 1, 31)


def test_filters_narrow_the_rows_and_the_summary(client, three_users):
    response = client.get(URL, {"email": "x.test", "joined_from": "2026-02-01"})
    assert page_rows(response)[0][0] == "bb@x.test"
    assert response.context["totals"] == {"users": 1, "active": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "abc"}, "as_of"),
        ({"as_of": "9999-12-31"}, "as_of"),  # beyond what date arithmetic can hold
        ({"joined_from": "2026-13-01"}, "joined_from"),
    ],
)
def test_a_refused_filter_is_a_400_with_the_field_error_and_no_figures(client, three_users, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.context["filterset"].errors
    assert "table_rows" not in response.context
    assert 'data-testid="filters-refused"' in response.content.decode()
    export = client.get(URL, {**params, "export": "csv"})
    assert export.status_code == 400
    assert export.content.decode().startswith(f"Bad filter: {field}:")


def test_an_unknown_export_format_is_a_400(client, three_users):
    response = client.get(URL, {"export": "pdf"})
    assert response.status_code == 400
    assert response.content == b"Bad filter: export: choose one of csv, xlsx"


# --- charts ------------------------------------------------------------------------------------------------
def test_charts_are_embedded_as_json_for_the_static_script(client, three_users):
    response = client.get(URL)
    assert chart(response, "users") == {
        "id": "users",
        "title": "Users",
        "type": "bar",
        "labels": ["Active", "Inactive"],
        "datasets": [{"label": "Users", "data": [3.0, 0.0]}],
        "yTitle": "",
        "stacked": False,
        "money": False,
    }
    body = response.content.decode()
    assert '<canvas id="chart-users"' in body
    assert "js/reports.js" in body
    assert "<script>" not in body  # the CSP forbids inline scripts


# --- exports -----------------------------------------------------------------------------------------------
def test_the_csv_export_holds_every_filtered_row_not_one_page(client, three_users):
    assert csv_rows(client, URL) == [
        ["Email", "First name", "Joined", "Limit", "Rate", "Logins"],
        ["a@x.test", "Ann", "2026-01-05", "1234.50", "6.125", "8"],
        ["bb@x.test", "'=HYPERLINK()", "2026-02-07", "1234.50", "6.125", "9"],
        ["zz-manager@lending.test", "Morgan", "2026-01-02", "1234.50", "6.125", "23"],
    ]


def test_the_export_uses_the_pages_filters(client, three_users):
    rows = csv_rows(client, URL, email="bb", page="1")
    assert [row[0] for row in rows] == ["Email", "bb@x.test"]


def test_the_excel_export_has_numbers_dates_and_safe_text(client, three_users):
    rows = xlsx_rows(client, URL, as_of="2026-01-31")
    # Dates are Excel serials: 2026-01-05 is day 46027 counted from 1899-12-30.
    assert rows == [
        ["Email", "First name", "Joined", "Limit", "Rate", "Logins"],
        ["a@x.test", "Ann", 46027.0, 1234.5, 6.125, 8.0],
        ["zz-manager@lending.test", "Morgan", 46024.0, 1234.5, 6.125, 23.0],
    ]


def test_exports_are_named_after_the_report_and_date_and_audited(client, three_users, manager):
    from lending.core.models import AuditEvent

    response = client.get(URL, {"export": "csv", "email": "a@"})
    assert response["Content-Disposition"] == 'attachment; filename="test-users-2026-03-31.csv"'
    xlsx = client.get(URL, {"export": "xlsx"})
    assert xlsx["Content-Disposition"] == 'attachment; filename="test-users-2026-03-31.xlsx"'
    events = list(AuditEvent.objects.filter(verb="report.exported").order_by("pk").values("actor_id", "after"))
    assert events == [
        {
            "actor_id": manager.pk,
            "after": {"report": "test-users", "format": "csv", "as_of": "2026-03-31", "filters": {"email": "a@"}},
        },
        {
            "actor_id": manager.pk,
            "after": {"report": "test-users", "format": "xlsx", "as_of": "2026-03-31", "filters": {}},
        },
    ]


def test_an_excel_export_longer_than_a_sheet_is_refused_not_cut_and_not_audited(client, three_users, monkeypatch):
    from lending.core.models import AuditEvent
    from lending.core.reports import export

    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)  # the report has 3 rows
    response = client.get(URL, {"export": "xlsx"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "Excel: more than 2 rows, the most a sheet holds; narrow the filters or export CSV"
    )
    assert not AuditEvent.objects.filter(verb="report.exported").exists()
    assert len(csv_rows(client, URL)) == 4  # the CSV has no limit: the header and the 3 rows
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 3)
    assert len(xlsx_rows(client, URL)) == 4


def test_the_excel_writer_never_drops_a_row_past_its_limit(monkeypatch):
    import io

    from lending.core.reports import export
    from lending.core.reports.columns import Column

    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)
    columns = [Column("n", "N")]
    export.xlsx_write(io.BytesIO(), columns=columns, rows=[{"n": 1}, {"n": 2}], sheet_title="t")
    with pytest.raises(export.TooManyRowsForExcel):
        export.xlsx_write(io.BytesIO(), columns=columns, rows=[{"n": 1}, {"n": 2}, {"n": 3}], sheet_title="t")


def test_export_links_carry_the_filters_but_not_the_page(client, three_users):
    response = client.get(URL, {"email": "x", "page": "2"})
    assert response.context["export_links"] == [
        ("CSV", "?email=x&export=csv"),
        ("Excel", "?email=x&export=xlsx"),
    ]


def test_the_page_costs_the_same_queries_for_one_row_or_many(client, manager, as_of, django_assert_num_queries):
    client.get(URL)  # warm the session and the user's roles
    with django_assert_num_queries(count := _queries(client)):
        client.get(URL)
    for n in range(5):
        joined(f"u{n}@x.test", date(2026, 1, 10))
    with django_assert_num_queries(count):
        client.get(URL)


def _queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(URL)
    return len(captured)


# --- columns -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "value", "shown", "in_csv"),
    [
        (reports.MONEY, Decimal("2674.025"), "$2,674.03", "2674.03"),  # half up to the cent
        (reports.MONEY, Decimal("-47"), "-$47.00", "-47.00"),
        (reports.INTEGER, 12345, "12,345", "12345"),
        (reports.PERCENT, Decimal("6.5"), "6.500%", "6.500"),
        (reports.PERCENT, Decimal("6.1245"), "6.125%", "6.125"),  # a half up, as money rounds (not to even)
        (reports.DECIMAL, Decimal("0.0123456"), "0.012", "0.012"),
        (reports.DECIMAL, Decimal("0.0125"), "0.013", "0.013"),
        (reports.DATE, date(2026, 7, 4), "Jul 4, 2026", "2026-07-04"),
        (reports.TEXT, "-1+1", "-1+1", "'-1+1"),
        (reports.TEXT, None, "", ""),
    ],
)
def test_a_column_shows_and_exports_each_kind(kind, value, shown, in_csv):
    column = reports.Column("v", "V", kind)
    assert column.display({"v": value}) == shown
    assert column.csv({"v": value}) == in_csv


def test_a_column_reads_objects_dicts_and_accessors():
    class Row:
        v = 3

    assert reports.Column("v", "V", reports.INTEGER).display(Row()) == "3"
    assert reports.Column("w", "W", reports.INTEGER, accessor=lambda row: row["v"] * 2).csv({"v": 4}) == "8"
    with pytest.raises(ValueError, match="kind: 'euro' is not one of"):
        reports.Column("v", "V", "euro")


CELLS_AS_THE_TEMPLATE_WROTE_THEM = Template(
    '{% for cell in cells %}<td{% if cell.numeric %} class="text-end"{% endif %}>{{ cell }}</td>{% endfor %}'
)


@pytest.mark.parametrize("text", ["plain", '<b>Ann & "Bo"</b>', "O'Neil", "", "$1,234.50", "=1+1 < 2 > 0"])
def test_a_rows_html_is_what_the_template_wrote_cell_by_cell(text):
    columns = (reports.Column("v", "V"), reports.Column("v", "V", reports.MONEY, accessor=lambda row: Decimal(1)))
    row = report_views.Row(report_views.Cell.of(column, {"v": text}) for column in columns)
    assert row == [text, "$1.00"]
    assert row.html == CELLS_AS_THE_TEMPLATE_WROTE_THEM.render(Context({"cells": row}))


# --- the registry and the index ----------------------------------------------------------------------------
@pytest.fixture
def registered(monkeypatch):
    """A registry holding the test report beside whatever the apps registered."""
    entries = dict(registry._REGISTRY)
    monkeypatch.setattr(registry, "_REGISTRY", entries)
    registry.register(UserReport)
    return entries


def test_register_lists_a_view_under_its_slug_with_its_roles(registered):
    entry = registered["test-users"]
    assert (entry.title, entry.roles, entry.url_name, entry.view) == (
        "Users",
        (roles.MANAGER, roles.ACCOUNTING, roles.COLLECTOR),
        "reports:test-users",
        UserReport,
    )


def test_a_slug_is_registered_once_and_roles_must_be_staff_roles(registered):
    with pytest.raises(ValueError, match="slug: a report named 'test-users' is registered already"):
        registry.register_link(slug="test-users", title="Other", description="", roles=(), url_name="x")
    with pytest.raises(ValueError, match=r"roles: \['borrower'\] are not staff roles"):
        registry.register_link(slug="b", title="B", description="", roles=(roles.BORROWER,), url_name="x")


def test_the_hmda_register_is_listed_for_managers():
    entry = {e.slug: e for e in registry.all_reports()}["hmda"]
    assert (entry.url, entry.roles) == ("/staff/reports/hmda/", (roles.MANAGER,))


@pytest.mark.urls("lending.urls")
def test_the_index_lists_only_the_reports_the_user_may_open(client, monkeypatch):
    entries = {"hmda": registry._REGISTRY["hmda"]}
    monkeypatch.setattr(registry, "_REGISTRY", entries)
    registry.register_link(
        slug="ledger", title="Ledger", description="GL.", roles=(roles.ACCOUNTING,), url_name="core:staff-home"
    )
    client.force_login(user_with_role(roles.ACCOUNTING))
    response = client.get(reverse("reports:index"))
    assert [entry.slug for entry in response.context["reports"]] == ["ledger"]
    client.force_login(user_with_role(roles.MANAGER))
    body = client.get(reverse("reports:index")).content.decode()
    assert 'data-report="hmda"' in body
    assert 'data-report="ledger"' not in body
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(reverse("reports:index")).status_code == 403


@pytest.mark.urls("lending.urls")
def test_the_index_sends_anonymous_visitors_to_login(client):
    response = client.get("/staff/reports/")
    assert response["Location"] == f"{reverse('login')}?next=/staff/reports/"
