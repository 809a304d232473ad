"""Underwriting writes: automated findings, conditions, decisions, and the adverse-action notice of a denial.

- ``underwriting_run`` gathers the application's figures and lets ``origination.credit.aus.evaluate`` judge them
  (the rules are in that module's docstring); needs a credit report for every borrower.
- Conditions are added, cleared or waived by underwriters (and managers). A condition tied to a document type is
  cleared when a document of that type is verified (origination.services.documents.document_verify does it).
- ``underwriting_decide`` records a Decision and fires the matching workflow action in one transaction; a denial
  needs 1 to 4 principal reasons from Reg B's Form C-1 list and produces the adverse-action notice PDF.
  The workflow hooks below keep every path honest: approve, approve with conditions and suspend fired elsewhere
  still record a Decision (without reasons); deny fired elsewhere is refused, since it would have no reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.roles import RequestUser
from lending.core.services import audit_record
from origination.credit import aus
from origination.models import (
    Application,
    Condition,
    CreditReport,
    Decision,
    DocumentType,
    Property,
    TradelineExclusion,
    UnderwritingFinding,
)
from origination.models.underwriting import AdverseActionNotice, PrincipalReason
from origination.services import compliance
from origination.services.credit import CREDIT_ROLES, PULL_STATUSES
from origination.services.disclosures import pdf_render
from origination.services.workflow import (
    BEFORE_TRANSITION_HOOKS,
    TransitionBlocked,
    TransitionHook,
    application_transition,
)

AUS_ROLES = CREDIT_ROLES
UNDERWRITING_ROLES = (roles.UNDERWRITER, roles.MANAGER)
CLOSED_STATUSES = ("denied", "withdrawn", "funded")
DECISION_STATUSES = ("underwriting", "conditionally_approved", "suspended")
OUTCOME_TRANSITIONS: dict[str, str] = {
    Decision.Outcome.APPROVED: "approve",
    Decision.Outcome.CONDITIONALLY_APPROVED: "approve_with_conditions",
    Decision.Outcome.SUSPENDED: "suspend",
    Decision.Outcome.DENIED: "deny",
}
# More than four reasons is "not likely to be helpful to the applicant" (Reg B comment 9(b)(2)-1).
MAX_PRINCIPAL_REASONS = 4
RATIO_CAP = Decimal("999.9999")  # the widest a RATE column holds
MONTHS_CAP = Decimal("99999.99")

# Set while underwriting_decide fires the workflow action, so the hooks know the Decision is being recorded.
_DECIDING: ContextVar[bool] = ContextVar("underwriting_deciding", default=False)


class UnderwritingError(Exception):
    """An underwriting action cannot be done as asked; the message says why. Nothing was changed."""


def can_underwrite(user: RequestUser | None) -> bool:
    return roles.has_role(user, *UNDERWRITING_ROLES)


def can_run_aus(user: RequestUser | None) -> bool:
    return roles.has_role(user, *AUS_ROLES)


# ---- automated underwriting ------------------------------------------------------------------------------------


def _latest_reports(application: Application) -> dict[int, CreditReport]:
    latest: dict[int, CreditReport] = {}
    for report in application.credit_reports.order_by("-pulled_at", "-id"):
        latest.setdefault(report.borrower_id, report)
    return latest


def _exclusions(reports: Iterable[CreditReport]) -> dict[int, list[tuple[int, str]]]:
    """The tradelines underwriters left out of the debts, by credit report: (index, reason)."""
    by_report: dict[int, list[tuple[int, str]]] = {}
    rows = TradelineExclusion.objects.filter(credit_report__in=[r.pk for r in reports]).order_by("index")
    for report_id, index, reason in rows.values_list("credit_report_id", "index", "reason"):
        by_report.setdefault(report_id, []).append((index, reason))
    return by_report


def aus_input(application: Application) -> aus.AusInput:
    """The figures the engine judges, read from the application (6 to 9 queries, whatever its size)."""
    product = application.product
    borrowers = list(application.borrowers.defer("ssn").prefetch_related("employments").order_by("-is_primary", "id"))
    reports = _latest_reports(application)
    liabilities = list(application.liabilities.all())
    excluded = _exclusions(reports.values())
    prop = Property.objects.filter(application=application).first()
    fixed_fees = product.fees.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    income = sum(
        (
            e.monthly_base_income + e.monthly_other_income
            for b in borrowers
            for e in b.employments.all()
            if e.is_current
        ),
        Decimal("0"),
    )
    return aus.AusInput(
        product=aus.ProductTerms(
            kind=product.kind,
            annual_rate=product.annual_rate,
            term_periods=product.term_periods,
            payment_frequency=product.payment_frequency,
            min_amount=product.min_amount,
            max_amount=product.max_amount,
            max_dti=product.max_dti,
            max_ltv=product.max_ltv,
            max_cltv=product.max_cltv,
            min_credit_score=product.min_credit_score,
            min_reserves_months=product.min_reserves_months,
            origination_fee_percent=product.origination_fee_percent,
            fixed_fees=fixed_fees,
        ),
        purpose=application.purpose,
        amount=application.amount_requested,
        monthly_income=income,
        liabilities_monthly=sum((li.monthly_payment for li in liabilities if not li.paid_off_at_closing), Decimal("0")),
        present_housing_expense=sum((b.monthly_housing_expense for b in borrowers), Decimal("0")),
        assets=tuple(application.assets.values_list("kind", "balance")),
        property=None
        if prop is None
        else aus.PropertyFacts(
            estimated_value=prop.estimated_value,
            appraised_value=prop.appraised_value,
            purchase_price=prop.purchase_price,
            subordinate_liens=prop.subordinate_liens,
            annual_property_tax=prop.annual_property_tax,
            annual_insurance=prop.annual_insurance,
            monthly_hoa=prop.monthly_hoa,
        ),
        credit=tuple(
            aus.BorrowerCredit(
                name=str(b),
                score=reports[b.pk].score if b.pk in reports else None,
                tradelines=tuple(reports[b.pk].tradelines) if b.pk in reports else (),
                exclusions=tuple(excluded.get(reports[b.pk].pk, ())) if b.pk in reports else (),
            )
            for b in borrowers
        ),
    )


def _cap(value: Decimal | None, cap: Decimal) -> Decimal | None:
    return None if value is None else max(-cap, min(value, cap))


@transaction.atomic
def underwriting_run(*, actor: User, application: Application) -> UnderwritingFinding:
    """Run the automated underwriting engine and store its findings. Needs credit for every borrower."""
    if not can_run_aus(actor):
        raise PermissionDenied("Only processors, underwriters and managers may run automated underwriting.")
    application = Application.objects.select_for_update().select_related("product").get(pk=application.pk)
    if application.status not in PULL_STATUSES:
        raise UnderwritingError(
            f"Automated underwriting cannot run while the application is {application.get_status_display()}."
        )
    without_credit = [str(b) for b in application.borrowers.defer("ssn").filter(credit_reports__isnull=True)]
    if not application.borrowers.exists():
        raise UnderwritingError("The application has no borrowers.")
    if without_credit:
        raise UnderwritingError(f"Pull credit first: no credit report for {', '.join(without_credit)}.")
    result = aus.evaluate(aus_input(application))
    finding = UnderwritingFinding.objects.create(
        application=application,
        recommendation=result.recommendation,
        front_dti=_cap(result.front_dti, RATIO_CAP),
        back_dti=_cap(result.back_dti, RATIO_CAP),
        ltv=_cap(result.ltv, RATIO_CAP),
        cltv=_cap(result.cltv, RATIO_CAP),
        credit_score=result.credit_score,
        reserves_months=_cap(result.reserves_months, MONTHS_CAP),
        messages=result.messages,
        calculations=result.calculations,
        run_by=actor,
    )
    audit_record(
        actor=actor,
        verb="underwriting.run",
        target=finding,
        after={
            "recommendation": finding.recommendation,
            "front_dti": result.front_dti,
            "back_dti": result.back_dti,
            "ltv": result.ltv,
            "cltv": result.cltv,
            "credit_score": result.credit_score,
            "reserves_months": result.reserves_months,
        },
    )
    # ATR/QM reads the latest findings: refresh the stored compliance results so the workspace is current.
    compliance.compliance_run(application=application, actor=actor)
    return finding


# ---- conditions ----------------------------------------------------------------------------------------------


def _require_underwriter(actor: User, doing: str) -> None:
    if not can_underwrite(actor):
        raise PermissionDenied(f"Only underwriters and managers may {doing}.")


@transaction.atomic
def condition_add(
    *,
    actor: User,
    application: Application,
    stage: str,
    description: str,
    document_type: DocumentType | None = None,
) -> Condition:
    """Add a prior-to-approval, prior-to-docs or prior-to-funding condition, optionally tied to a document type."""
    _require_underwriter(actor, "add conditions")
    if stage not in Condition.Stage.values:
        raise UnderwritingError(f"Unknown condition stage {stage!r}.")
    description = (description or "").strip()
    if not description:
        raise UnderwritingError("Describe what the condition asks for.")
    if application.status in CLOSED_STATUSES:
        raise UnderwritingError(f"The application is {application.get_status_display()}: no more conditions.")
    condition = Condition.objects.create(
        application=application, stage=stage, description=description, document_type=document_type, created_by=actor
    )
    audit_record(
        actor=actor,
        verb="condition.added",
        target=condition,
        after={
            "stage": stage,
            "description": description,
            "document_type": document_type.code if document_type else None,
        },
    )
    return condition


def _settle(*, actor: User, condition: Condition, status: str, note: str, verb: str) -> Condition:
    condition = Condition.objects.select_for_update().select_related("application").get(pk=condition.pk)
    if condition.status != Condition.Status.OPEN:
        raise UnderwritingError(f"This condition is already {condition.get_status_display().lower()}.")
    if condition.application.status in CLOSED_STATUSES:
        raise UnderwritingError(f"The application is {condition.application.get_status_display()}.")
    condition.status = status
    condition.cleared_by = actor
    condition.cleared_at = timezone.now()
    condition.clearing_note = note
    condition.save(update_fields=["status", "cleared_by", "cleared_at", "clearing_note"])
    audit_record(
        actor=actor,
        verb=verb,
        target=condition,
        before={"status": Condition.Status.OPEN},
        after={"status": status},
        note=note,
    )
    return condition


@transaction.atomic
def condition_clear(*, actor: User, condition: Condition, note: str = "") -> Condition:
    """Mark an open condition satisfied."""
    _require_underwriter(actor, "clear conditions")
    return _settle(
        actor=actor,
        condition=condition,
        status=Condition.Status.CLEARED,
        note=(note or "").strip(),
        verb="condition.cleared",
    )


@transaction.atomic
def condition_waive(*, actor: User, condition: Condition, note: str) -> Condition:
    """Set an open condition aside without satisfying it; the note says why (it is part of the loan file)."""
    _require_underwriter(actor, "waive conditions")
    note = (note or "").strip()
    if not note:
        raise UnderwritingError("Waiving a condition needs a note saying why.")
    return _settle(actor=actor, condition=condition, status=Condition.Status.WAIVED, note=note, verb="condition.waived")


# ---- decisions -----------------------------------------------------------------------------------------------


def clean_reasons(outcome: str, reasons: list[str], other_reason: str) -> list[str]:
    cleaned = list(dict.fromkeys(r for r in (reasons or []) if r))
    unknown = [r for r in cleaned if r not in PrincipalReason.values]
    if unknown:
        raise UnderwritingError(f"Unknown reason {unknown[0]!r}: choose from the Reg B principal reasons.")
    if outcome == Decision.Outcome.DENIED and not cleaned:
        raise UnderwritingError("A denial needs at least one principal reason (Reg B 1002.9(b)(2)).")
    if len(cleaned) > MAX_PRINCIPAL_REASONS:
        raise UnderwritingError(f"Give at most {MAX_PRINCIPAL_REASONS} principal reasons, the ones that decided it.")
    if PrincipalReason.OTHER in cleaned and not other_reason:
        raise UnderwritingError('Say what the "Other" reason is.')
    return cleaned


@transaction.atomic
def decision_record(
    *, actor: User, application: Application, outcome: str, reasons: list[str], note: str = "", other_reason: str = ""
) -> Decision:
    """Record an underwriting decision with its reasons (principal reason codes, 1 to 4 for a denial)."""
    _require_underwriter(actor, "record decisions")
    if outcome not in Decision.Outcome.values:
        raise UnderwritingError(f"Unknown decision {outcome!r}.")
    other_reason = (other_reason or "").strip()
    cleaned = clean_reasons(outcome, reasons, other_reason)
    decision = Decision.objects.create(
        application=application,
        outcome=outcome,
        reasons=cleaned,
        other_reason=other_reason if PrincipalReason.OTHER in cleaned else "",
        note=(note or "").strip(),
        decided_by=actor,
    )
    audit_record(
        actor=actor,
        verb="decision.recorded",
        target=decision,
        after={"outcome": outcome, "reasons": cleaned, "other_reason": decision.other_reason},
        note=decision.note,
    )
    return decision


def underwriting_decide(
    *,
    actor: User,
    application: Application,
    outcome: str,
    reasons: list[str],
    note: str = "",
    other_reason: str = "",
    expected_status: str | None = None,
) -> Decision:
    """Record the decision and fire its workflow action together; a denial also gets its adverse-action notice.

    Raises PermissionDenied, UnderwritingError (bad reasons), TransitionBlocked or StaleApplication; on any of
    them nothing is saved.
    """
    if outcome not in OUTCOME_TRANSITIONS:
        raise UnderwritingError(f"Unknown decision {outcome!r}.")
    with transaction.atomic():
        decision = decision_record(
            actor=actor, application=application, outcome=outcome, reasons=reasons, note=note, other_reason=other_reason
        )
        token = _DECIDING.set(True)
        try:
            application_transition(
                application=application,
                name=OUTCOME_TRANSITIONS[outcome],
                actor=actor,
                note=decision.note,
                expected_status=expected_status,
            )
        finally:
            _DECIDING.reset(token)
        if outcome == Decision.Outcome.DENIED:
            adverse_action_generate(actor=actor, decision=decision)
    return decision


# ---- adverse action ------------------------------------------------------------------------------------------


def reason_texts(decision: Decision) -> list[str]:
    """The principal reasons as the applicant reads them."""
    texts = []
    for code in decision.reasons:
        if code == PrincipalReason.OTHER:
            texts.append(f"Other: {decision.other_reason}")
        elif code in PrincipalReason.values:
            texts.append(PrincipalReason(code).label)
    return texts


def adverse_action_context(decision: Decision) -> dict[str, Any]:
    """What the notice says (Reg B 1002.9(a)(2) and (b); FCRA 615(a) with the credit score disclosure)."""
    application = Application.objects.select_related("product").get(pk=decision.application_id)
    borrowers = list(application.borrowers.defer("ssn").order_by("-is_primary", "id"))
    reports = _latest_reports(application)
    credit = []
    for borrower in borrowers:
        report = reports.get(borrower.pk)
        if report is None:
            continue
        raw = report.raw or {}
        credit.append(
            {
                "borrower": str(borrower),
                "bureau": report.bureau,
                "is_sandbox": report.is_sandbox,
                "contact": raw.get("bureau_contact") or {"name": report.bureau},
                "score": report.score,
                "score_date": timezone.localdate(report.pulled_at),
                "score_range": raw.get("score_range") or [300, 850],
                "key_factors": raw.get("key_factors") or [],
            }
        )
    primary = borrowers[0] if borrowers else None
    return {
        "creditor_name": getattr(settings, "LENDING_CREDITOR_NAME", "Lending"),
        "creditor_address": getattr(settings, "LENDING_CREDITOR_ADDRESS", ""),
        "ecoa_agency": getattr(settings, "LENDING_ECOA_AGENCY", ""),
        "contact_email": getattr(settings, "LENDING_CONTACT_EMAIL", ""),
        "notice_date": timezone.localdate(decision.decided_at),
        "application": application,
        "applicants": [str(b) for b in borrowers],
        "primary": primary,
        "reasons": reason_texts(decision),
        "credit": credit,
        "score_used": any(c["score"] is not None for c in credit),
        "is_sandbox": any(c["is_sandbox"] for c in credit),
    }


ADVERSE_ACTION_TEMPLATE = "pdf/adverse_action.html"


def adverse_action_html(decision: Decision) -> str:
    return render_to_string(ADVERSE_ACTION_TEMPLATE, adverse_action_context(decision))


@transaction.atomic
def adverse_action_generate(*, actor: User, decision: Decision) -> AdverseActionNotice:
    """Render the notice for a denial to PDF (WeasyPrint) and store it with its hash."""
    if decision.outcome != Decision.Outcome.DENIED:
        raise UnderwritingError("An adverse-action notice follows a denial.")
    if AdverseActionNotice.objects.filter(application_id=decision.application_id).exists():
        raise UnderwritingError("This application already has its adverse-action notice.")
    # Its page and style are the template's own (no loan document sheet); the lean user-agent sheet and the
    # process's fonts are pdf_render's.
    pdf = pdf_render(ADVERSE_ACTION_TEMPLATE, adverse_action_context(decision), stylesheets=())
    digest = hashlib.sha256(pdf).hexdigest()
    notice = AdverseActionNotice(
        application_id=decision.application_id, decision=decision, sha256=digest, generated_by=actor
    )
    notice.file.save(f"{digest}.pdf", ContentFile(pdf), save=False)
    try:
        notice.save()
        audit_record(
            actor=actor,
            verb="adverse_action.generated",
            target=notice,
            after={"sha256": digest, "reasons": decision.reasons, "decision": decision.pk},
        )
    except BaseException:
        notice.file.delete(save=False)  # no stored file without its row
        raise
    return notice


# ---- workflow hooks ------------------------------------------------------------------------------------------


def _decision_from_workflow(outcome: str) -> TransitionHook:
    def hook(application: Application, actor: User) -> None:
        if _DECIDING.get():
            return
        decision = Decision.objects.create(
            application=application,
            outcome=outcome,
            reasons=[],
            note="Recorded from the workflow action; no reasons were given.",
            decided_by=actor,
        )
        audit_record(actor=actor, verb="decision.recorded", target=decision, after={"outcome": outcome, "reasons": []})

    return hook


def _deny_needs_reasons(application: Application, actor: User) -> None:
    if not _DECIDING.get():
        raise TransitionBlocked(
            "A denial needs its principal reasons and an adverse-action notice: "
            "deny from the Credit and underwriting panel."
        )


for _outcome, _name in OUTCOME_TRANSITIONS.items():
    _hook = _deny_needs_reasons if _outcome == Decision.Outcome.DENIED else _decision_from_workflow(_outcome)
    BEFORE_TRANSITION_HOOKS.setdefault(_name, []).append(_hook)
