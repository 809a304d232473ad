"""Intake reads: the application summary that the review step, the staff panel and the borrower panel show.

A fixed number of queries whatever the number of borrowers, jobs, assets or debts. The SSN column is not even
loaded (so never decrypted) unless the page may show the full number.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from lending.core.models import User
from origination.application_rules import (
    CITIZENSHIP_CHOICES,
    TRID_ITEM_LABELS,
    declaration_questions,
    has_property_step,
    ssn_mask,
    trid_missing_from,
)
from origination.models import Application, Asset, Borrower, Employment, Liability, Property

ZERO = Decimal("0.00")


@dataclass
class BorrowerRow:
    borrower: Borrower
    ssn_display: str
    employments: list[Employment]

    @builtins.property  # the `property` field hides the builtin in this class
    def monthly_income(self) -> Decimal:
        return sum((e.monthly_base_income + e.monthly_other_income for e in self.employments), ZERO)


@dataclass
class IntakeSummary:
    application: Application
    borrowers: list[BorrowerRow]
    assets: list[Asset]
    liabilities: list[Liability]
    property: Property | None
    needs_property: bool
    declarations: list[tuple[str, str]]
    citizenship: str
    explanation: str
    trid_missing: list[str] = field(default_factory=list)

    @builtins.property  # the `property` field hides the builtin in this class
    def primary(self) -> BorrowerRow | None:
        return next((row for row in self.borrowers if row.borrower.is_primary), None)

    @builtins.property  # the `property` field hides the builtin in this class
    def monthly_income(self) -> Decimal:
        return sum((row.monthly_income for row in self.borrowers), ZERO)

    @builtins.property  # the `property` field hides the builtin in this class
    def total_assets(self) -> Decimal:
        return sum((a.balance for a in self.assets), ZERO)

    @builtins.property  # the `property` field hides the builtin in this class
    def monthly_debts(self) -> Decimal:
        return sum((li.monthly_payment for li in self.liabilities), ZERO)

    @builtins.property  # the `property` field hides the builtin in this class
    def trid_missing_labels(self) -> list[str]:
        return [TRID_ITEM_LABELS[code] for code in self.trid_missing]


def intake_summary(*, application: Application, full_ssn: bool = False) -> IntakeSummary:
    """Everything entered on the application, for display. ``full_ssn`` only for roles that need the number."""
    borrowers_qs = Borrower.objects.filter(application=application).prefetch_related(
        Prefetch("employments", queryset=Employment.objects.order_by("-is_current", "id"))
    )
    if not full_ssn:
        borrowers_qs = borrowers_qs.defer("ssn")
    borrowers = [
        BorrowerRow(
            borrower=b,
            ssn_display=(b.ssn if full_ssn and b.ssn else ssn_mask(b.ssn_last4)),
            employments=list(b.employments.all()),
        )
        for b in borrowers_qs.order_by("-is_primary", "id")
    ]
    needs_property = has_property_step(application.product)
    prop = Property.objects.filter(application=application).first()
    answers = application.declarations or {}
    declarations = [
        (text, "Yes" if answers.get(code) is True else "No" if answers.get(code) is False else "Not answered")
        for code, text in declaration_questions(application.product)
    ]
    primary = next((row.borrower for row in borrowers if row.borrower.is_primary), None)
    summary = IntakeSummary(
        application=application,
        borrowers=borrowers,
        assets=list(Asset.objects.filter(application=application).order_by("id")),
        liabilities=list(Liability.objects.filter(application=application).order_by("id")),
        property=prop,
        needs_property=needs_property,
        declarations=declarations,
        citizenship=dict(CITIZENSHIP_CHOICES).get(answers.get("citizenship", ""), "Not answered"),
        explanation=answers.get("explanation", ""),
    )
    summary.trid_missing = trid_missing_from(
        primary=primary,
        incomes=[e for row in borrowers for e in row.employments],
        prop=prop,
        amount_requested=application.amount_requested,
        needs_property=needs_property,
    )
    return summary


def draft_to_resume(*, user: User) -> Application | None:
    """The borrower's most recently touched draft application, if any."""
    return (
        Application.objects.select_related("product")
        .filter(applicant=user, status="draft")
        .order_by("-updated_at", "-id")
        .first()
    )
