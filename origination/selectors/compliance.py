"""Compliance reads: the checks with their stored results, and the disclosures, for the workspace panel."""

from __future__ import annotations

from dataclasses import dataclass

from origination import trid
from origination.models import Application, ComplianceCheck, Disclosure
from origination.models.compliance import CHECK_TITLES


@dataclass(frozen=True)
class CheckRow:
    code: str
    title: str
    check: ComplianceCheck | None  # None: never run


def compliance_results(application: Application) -> list[CheckRow]:
    """Every check in order with its stored result (one query)."""
    stored = {c.code: c for c in application.compliance_checks.all()}
    return [CheckRow(code, CHECK_TITLES[code], stored.get(code)) for code in CHECK_TITLES]


def disclosures_for(application: Application) -> list[Disclosure]:
    """The application's disclosures, newest first, with who issued them (one query). Each carries
    ``receipt_date``: the actual receipt, or the presumed one."""
    rows = list(application.disclosures.select_related("issued_by").order_by("-issued_on", "-id"))
    for disclosure in rows:
        disclosure.receipt_date = trid.received_on(disclosure)
    return rows
