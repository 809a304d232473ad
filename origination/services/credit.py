"""Pulling credit: one bureau report per borrower, stored and audited. The only reader of decrypted SSNs here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from lending.core import roles
from lending.core.models import User
from lending.core.roles import RequestUser
from lending.core.services import audit_record
from origination.credit import BureauError, CreditSubject, get_bureau
from origination.models import Application, Borrower, CreditReport, TradelineExclusion

CREDIT_ROLES = (roles.PROCESSOR, roles.UNDERWRITER, roles.MANAGER)
# Credit is pulled once the borrower has submitted (and so authorised it), until the loan is cleared to close.
PULL_STATUSES = ("submitted", "processing", "underwriting", "approved", "conditionally_approved", "suspended")


class CreditPullError(Exception):
    """Credit cannot be pulled; the message says why and what to fix. Nothing was stored."""


class TradelineError(Exception):
    """A tradeline cannot be excluded or counted again as asked; the message says why. Nothing was changed."""


def can_pull_credit(user: RequestUser | None) -> bool:
    return roles.has_role(user, *CREDIT_ROLES)


def _subject(borrower: Borrower) -> CreditSubject:
    return CreditSubject(
        first_name=borrower.first_name,
        last_name=borrower.last_name,
        ssn=borrower.ssn,
        date_of_birth=borrower.date_of_birth,
        address_line1=borrower.address_line1,
        city=borrower.city,
        state=borrower.state,
        postal_code=borrower.postal_code,
    )


@transaction.atomic
def credit_pull(*, actor: User, application: Application) -> list[CreditReport]:
    """Pull a report for every borrower through the configured bureau and store each one.

    All or nothing: a borrower without an SSN, or a bureau error for any borrower (a frozen file, say), stores
    no report at all. Raises PermissionDenied for roles other than processor, underwriter and manager.
    """
    if not can_pull_credit(actor):
        raise PermissionDenied("Only processors, underwriters and managers may pull credit.")
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in PULL_STATUSES:
        raise CreditPullError(f"Credit cannot be pulled while the application is {application.get_status_display()}.")
    borrowers = list(application.borrowers.order_by("-is_primary", "id"))
    if not borrowers:
        raise CreditPullError("The application has no borrowers to pull credit for.")
    missing = [str(b) for b in borrowers if not (b.ssn or "").strip()]
    if missing:
        raise CreditPullError(f"No SSN on file for {', '.join(missing)}: add it before pulling credit.")
    bureau = get_bureau()
    reports = []
    for borrower in borrowers:
        try:
            result = bureau.pull(_subject(borrower))
        except BureauError as exc:
            raise CreditPullError(f"{borrower}: {exc}") from exc
        raw = {
            **result.raw,
            "score_model": result.score_model,
            "score_range": list(result.score_range),
            "key_factors": list(result.key_factors),
            "inquiries_last_12_months": result.inquiries_last_12_months,
            "bureau_contact": dict(result.bureau_contact),
        }
        report = CreditReport.objects.create(
            application=application,
            borrower=borrower,
            bureau=result.bureau[:40],
            is_sandbox=result.is_sandbox,
            score=result.score,
            tradelines=list(result.tradelines),
            raw=raw,
            pulled_by=actor,
        )
        # The audit row names the borrower and the outcome, never the SSN.
        audit_record(
            actor=actor,
            verb="credit.pulled",
            target=report,
            after={
                "application": application.number,
                "borrower_id": borrower.pk,
                "bureau": report.bureau,
                "is_sandbox": report.is_sandbox,
                "score": report.score,
                "tradelines": len(report.tradelines),
            },
        )
        reports.append(report)
    return reports


# ---- tradelines the monthly debts leave out ------------------------------------------------------------------

EXCLUSION_ROLES = (roles.UNDERWRITER, roles.MANAGER)
REASON_MAX_LENGTH = 500


def can_exclude_tradelines(user: RequestUser | None) -> bool:
    return roles.has_role(user, *EXCLUSION_ROLES)


def _open_for_underwriting(report: CreditReport) -> Application:
    application = Application.objects.select_for_update().get(pk=report.application_id)
    if application.status not in PULL_STATUSES:
        raise TradelineError(
            f"Tradelines cannot be excluded or counted again while the application is "
            f"{application.get_status_display()}."
        )
    return application


def _tradeline_summary(report: CreditReport, index: int) -> dict[str, Any]:
    line = report.tradelines[index]
    return {"index": index, "creditor": line.get("creditor", ""), "monthly_payment": line.get("monthly_payment")}


@transaction.atomic
def tradeline_exclude(*, actor: User, credit_report: CreditReport, index: int, reason: str) -> TradelineExclusion:
    """Record why one tradeline of a credit report is left out of the monthly debts automated underwriting counts
    (it counts the larger of the declared liabilities and the reports' tradelines otherwise). Underwriters and
    managers only; the reason is required; audited. Raises TradelineError."""
    if not can_exclude_tradelines(actor):
        raise PermissionDenied("Only underwriters and managers may exclude a tradeline from the debts.")
    _open_for_underwriting(credit_report)
    reason = reason.strip()
    if not reason:
        raise TradelineError("Say why the tradeline does not count (paid off at closing, paid by someone else...).")
    if len(reason) > REASON_MAX_LENGTH:
        raise TradelineError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    if not 0 <= index < len(credit_report.tradelines):
        raise TradelineError("No such tradeline on this credit report.")
    if TradelineExclusion.objects.filter(credit_report=credit_report, index=index).exists():
        raise TradelineError("This tradeline is already excluded.")
    exclusion = TradelineExclusion.objects.create(
        credit_report=credit_report, index=index, reason=reason, excluded_by=actor
    )
    audit_record(
        actor=actor,
        verb="credit.tradeline_excluded",
        target=credit_report,
        after={**_tradeline_summary(credit_report, index), "reason": reason},
    )
    return exclusion


@transaction.atomic
def tradeline_include(*, actor: User, exclusion: TradelineExclusion) -> None:
    """Count an excluded tradeline again (the exclusion is removed; the audit keeps its reason)."""
    if not can_exclude_tradelines(actor):
        raise PermissionDenied("Only underwriters and managers may count a tradeline again.")
    report = exclusion.credit_report
    _open_for_underwriting(report)
    before = {**_tradeline_summary(report, exclusion.index), "reason": exclusion.reason}
    exclusion.delete()
    audit_record(actor=actor, verb="credit.tradeline_included", target=report, before=before)
