"""Reads for the credit and underwriting pages: a fixed number of queries, whatever the number of rows.

Borrowers are loaded with their SSN deferred, so no page decrypts one (only origination.services.credit does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from origination.credit.aus import RECOMMENDATION_LABELS, SEVERITY_LABELS, calculation_rows
from origination.models import (
    Application,
    Asset,
    Borrower,
    Condition,
    CreditReport,
    Decision,
    Document,
    Liability,
    Property,
    TradelineExclusion,
    UnderwritingFinding,
)
from origination.models.underwriting import AdverseActionNotice


@dataclass
class UnderwritingOverview:
    reports: list[CreditReport]  # the latest report of each borrower, primary first
    report_count: int
    finding: UnderwritingFinding | None
    calculations: list[tuple[str, str]]
    conditions: list[Condition]
    decisions: list[Decision]
    notice: AdverseActionNotice | None
    borrowers_without_credit: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[dict[str, str]]:
        """The latest finding's messages, each with the label its severity is shown as."""
        if self.finding is None:
            return []
        return [
            {**m, "label": SEVERITY_LABELS.get(m.get("severity", ""), m.get("severity", ""))}
            for m in self.finding.messages
        ]

    @property
    def open_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.status == Condition.Status.OPEN]


@dataclass(frozen=True)
class TradelineRow:
    index: int
    line: dict[str, Any]
    exclusion: TradelineExclusion | None  # an underwriter left it out of the monthly debts


def latest_credit_reports(*, application: Application) -> tuple[list[CreditReport], int]:
    """The newest report of each borrower (primary borrower first) and how many reports are on file. Each report
    carries ``lines``: its tradelines with their exclusions."""
    rows = list(
        CreditReport.objects.filter(application=application)
        .select_related("borrower", "pulled_by")
        .defer("borrower__ssn")
        .order_by("-pulled_at", "-id")
    )
    latest: dict[int, CreditReport] = {}
    for report in rows:
        latest.setdefault(report.borrower_id, report)
    ordered = sorted(latest.values(), key=lambda r: (not r.borrower.is_primary, r.borrower_id))
    exclusions = {
        (e.credit_report_id, e.index): e
        for e in TradelineExclusion.objects.filter(credit_report__in=ordered).select_related("excluded_by")
    }
    for report in ordered:
        report.lines = [
            TradelineRow(index, line, exclusions.get((report.pk, index)))
            for index, line in enumerate(report.tradelines)
        ]
    return ordered, len(rows)


def underwriting_overview(*, application: Application) -> UnderwritingOverview:
    reports, count = latest_credit_reports(application=application)
    finding = application.findings.select_related("run_by").order_by("-run_at", "-id").first()
    borrowers = list(application.borrowers.defer("ssn").order_by("-is_primary", "id"))
    pulled = {r.borrower_id for r in reports}
    return UnderwritingOverview(
        reports=reports,
        report_count=count,
        finding=finding,
        calculations=calculation_rows(finding.calculations or {}) if finding else [],
        conditions=list(
            application.conditions.select_related("document_type", "created_by", "cleared_by").order_by(
                "stage", "created_at", "id"
            )
        ),
        decisions=list(application.decisions.select_related("decided_by").order_by("-decided_at", "-id")),
        notice=AdverseActionNotice.objects.filter(application=application).first(),
        borrowers_without_credit=[str(b) for b in borrowers if b.pk not in pulled],
    )


@dataclass
class ApplicationFile:
    """The application side of the underwriter's workspace: people, income, assets, debts, property, documents."""

    borrowers: list[Borrower]
    assets: list[Asset]
    liabilities: list[Liability]
    property: Property | None
    documents: list[Document]


def application_file(*, application: Application) -> ApplicationFile:
    return ApplicationFile(
        borrowers=list(
            application.borrowers.defer("ssn").prefetch_related("employments").order_by("-is_primary", "id")
        ),
        assets=list(application.assets.order_by("id")),
        liabilities=list(application.liabilities.order_by("id")),
        property=Property.objects.filter(application=application).first(),
        documents=list(
            application.documents.select_related("document_type", "reviewed_by")
            .annotate(version_count=Count("versions"))
            .order_by("document_type__name")
        ),
    )


def recommendation_label(code: str) -> str:
    return RECOMMENDATION_LABELS.get(code, code)
