"""The accounting reports: the trial balance as of a date with its tie-out to the loans' sub-ledgers
(/staff/reports/trial-balance/), and an account's activity over a date range with its lines
(/staff/reports/gl-activity/). Balances come from the per-account daily totals (``LedgerDailyBalance``), never from
a scan of every journal line; only the listed lines are read, a page (or an export's chunk) at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.db import connection
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat

from lending.core import reports
from lending.core.reports import sql_cells
from lending.finance.money import ZERO
from servicing.models import JournalEntry, LedgerAccount
from servicing.selectors import general_ledger as gl


def _net_debit(account: LedgerAccount) -> Any:
    return max(account.debit_total - account.credit_total, ZERO)  # type: ignore[attr-defined]


def _net_credit(account: LedgerAccount) -> Any:
    return max(account.credit_total - account.debit_total, ZERO)  # type: ignore[attr-defined]


class TrialBalanceFilterSet(reports.ReportFilterSet):
    kind = django_filters.ChoiceFilter(field_name="kind", choices=LedgerAccount.Kind.choices, label="Kind")


@reports.register
class TrialBalanceReport(reports.ReportView):
    slug = "trial-balance"
    title = "Trial balance"
    description = "Every account's debits, credits and balance as of a date, tied to the loans' sub-ledgers."
    order = 60
    filterset_class = TrialBalanceFilterSet
    template_name = "servicing/reports/trial_balance.html"
    page_size = None  # one row per account of the chart
    rows_title = "Accounts"
    columns = (
        reports.Column("number", "Number"),
        reports.Column("name", "Account"),
        reports.Column("kind", "Kind", accessor=lambda a: a.get_kind_display()),
        reports.Column("debit_total", "Debits", reports.MONEY),
        reports.Column("credit_total", "Credits", reports.MONEY),
        reports.Column("net_debit", "Debit balance", reports.MONEY, accessor=_net_debit),
        reports.Column("net_credit", "Credit balance", reports.MONEY, accessor=_net_credit),
    )

    def get_queryset(self) -> QuerySet:
        return gl.trial_balance_accounts(self.as_of)

    def get_report_context(self, rows: QuerySet) -> dict[str, Any]:
        return {"trial": gl.trial_balance_of(rows, self.as_of), "tieout": gl.subledger_tieout()}

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[reports.Chart]:
        shown = [row for row in context["trial"].rows if row.debit or row.credit]
        return [
            reports.Chart(
                id="balances",
                title="Balance of each account (on its normal side)",
                labels=[f"{row.account.number} {row.account.name}" for row in shown],
                datasets=[reports.Dataset("Balance", [row.balance for row in shown])],
                money=True,
            )
        ]


ENTRY_KINDS: dict[str, str] = dict(JournalEntry.Kind.choices)


class GlActivityFilterSet(reports.ReportFilterSet):
    account = reports.ListedModelChoiceFilter(  # no extra query to look the chosen account up
        field_name="account", queryset=LedgerAccount.objects.order_by("number"), label="Account"
    )
    date_from, date_to = reports.date_range_filters("entry__effective_date", "Effective")
    kind = django_filters.ChoiceFilter(field_name="entry__kind", choices=JournalEntry.Kind.choices, label="Entry kind")

    def filter_as_of(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(entry__effective_date__lte=value)


@reports.register
class GlActivityReport(reports.ReportView):
    slug = "gl-activity"
    title = "GL activity"
    description = "Opening balance, debits, credits and closing balance per account over a date range, with the lines."
    order = 61
    filterset_class = GlActivityFilterSet
    template_name = "servicing/reports/gl_activity.html"
    rows_title = "Journal lines, by effective date"
    month_to_date_filters = ("date_from", "date_to")  # without a range: the month of the "as of" date, through it
    columns = (
        reports.Column("effective_date", "Effective", reports.DATE),
        reports.Column("entry_id", "Entry", reports.TEXT),  # a number, not a quantity: no thousands separator
        reports.Column("kind", "Kind", accessor=lambda row: ENTRY_KINDS.get(row["kind"], row["kind"])),
        reports.Column("account", "Account", accessor=lambda row: f"{row['account_number']} {row['account_name']}"),
        reports.Column("loan", "Loan", accessor=lambda row: row["loan_number"] or ""),
        reports.Column("memo", "Memo"),
        reports.Column("debit", "Debit", reports.MONEY),
        reports.Column("credit", "Credit", reports.MONEY),
    )

    def get_queryset(self) -> QuerySet:
        return gl.all_lines()

    def present_rows(self, rows: QuerySet) -> QuerySet:
        """Plain rows (dicts), not three models a line: a month of the book is 400,000 lines (the Excel file)."""
        return rows.values(
            "entry_id",
            "debit",
            "credit",
            effective_date=F("entry__effective_date"),
            kind=F("entry__kind"),
            memo=F("entry__memo"),
            account_number=F("account__number"),
            account_name=F("account__name"),
            loan_number=F("loan__loan_number"),
        )

    def csv_cells(self, rows: QuerySet) -> QuerySet | None:
        """The export's cells written by PostgreSQL, exactly as the columns write them."""
        if connection.vendor != "postgresql":
            return None
        return rows.values_list(
            sql_cells.day(F("effective_date")),
            sql_cells.text(F("entry_id")),
            sql_cells.label(F("kind"), ENTRY_KINDS),
            sql_cells.text(Concat(F("account_number"), Value(" "), F("account_name"))),
            sql_cells.text(F("loan_number")),
            sql_cells.text(F("memo")),
            sql_cells.money(F("debit")),
            sql_cells.money(F("credit")),
        )

    def range(self) -> tuple[date, date]:
        """The range the summaries cover: the filters' dates, never past the "as of" date."""
        cleaned = self.filterset.form.cleaned_data
        start: date = cleaned.get("date_from") or self.as_of.replace(day=1)
        end: date = min(cleaned.get("date_to") or self.as_of, self.as_of)
        return start, end

    def get_report_context(self, rows: QuerySet) -> dict[str, Any]:
        start, end = self.range()
        account = self.filterset.form.cleaned_data.get("account")
        account_ids = [account.pk] if account is not None else None
        return {
            "start": start,
            "end": end,
            "activity": gl.gl_activity(start=start, end=end, account_ids=account_ids),
            "movements": gl.gl_daily_movements(start=start, end=end, account_ids=account_ids),
            "account": account,
        }

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[reports.Chart]:
        movements = context["movements"]
        which = context["account"].name if context["account"] is not None else "all accounts"
        return [
            reports.Chart(
                id="daily-activity",
                title=f"Debits and credits per day ({which})",
                labels=[f"{m.day:%b %d}" for m in movements],
                datasets=[
                    reports.Dataset("Debits", [m.debit for m in movements]),
                    reports.Dataset("Credits", [m.credit for m in movements]),
                ],
                money=True,
            )
        ]
