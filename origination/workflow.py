"""The application workflow (django-fsm-2): states, transitions, guards, and who may fire each transition.

    draft -> submitted -> processing -> underwriting -> approved | conditionally_approved | suspended | denied
          -> clear_to_close -> closing -> closed -> funded;   withdrawn from any state before closed.

Transitions live on `ApplicationWorkflow`, a mixin of the Application model, so the rules sit in one file.
Guards are small named functions with a label: the staff UI shows the label of each guard that blocks a
transition. Transitions only change the status; origination.services.application_transition does the
rest (locking, logging, auditing, signals) in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps as django_apps
from django.utils import timezone
from django_fsm import transition

from lending.core import calendar, roles
from origination import trid

DRAFT, SUBMITTED, PROCESSING, UNDERWRITING = "draft", "submitted", "processing", "underwriting"
APPROVED, CONDITIONALLY_APPROVED, SUSPENDED, DENIED = "approved", "conditionally_approved", "suspended", "denied"
CLEAR_TO_CLOSE, CLOSING, CLOSED, FUNDED, WITHDRAWN = "clear_to_close", "closing", "closed", "funded", "withdrawn"
BEFORE_CLOSED = [
    DRAFT,
    SUBMITTED,
    PROCESSING,
    UNDERWRITING,
    APPROVED,
    CONDITIONALLY_APPROVED,
    SUSPENDED,
    CLEAR_TO_CLOSE,
    CLOSING,
]
CD_WAITING_BUSINESS_DAYS = trid.CD_WAITING_BUSINESS_DAYS
RESCISSION_BUSINESS_DAYS = 3  # Reg Z 1026.23(a)(3)


def guard(label: str, blocked: str | Callable | None = None) -> Callable[[Callable], Callable]:
    """Name a guard for people. The label says what must be true; ``blocked`` says what blocks the transition
    when it is not (a phrase, or a function of the application naming the missing items), read after
    "<transition> is blocked: ". Without it the label is shown."""

    def mark(func: Callable) -> Callable:
        func.label = label  # type: ignore[attr-defined]  # function attributes the UI and blocked_reason read
        func.blocked = blocked  # type: ignore[attr-defined]
        return func

    return mark


def blocked_reason(condition: Callable, app) -> str:
    """What a failing guard reports: its ``blocked`` phrase (computed for this application), else its label."""
    blocked = getattr(condition, "blocked", None) or condition.label  # type: ignore[attr-defined]  # set by guard()
    return blocked(app) if callable(blocked) else blocked


def blocked_reasons(conditions, app) -> tuple[str, ...]:
    """The reasons of the guards among ``conditions`` that fail for this application, in order."""
    return tuple(blocked_reason(condition, app) for condition in conditions if not condition(app))


# --- who may fire ----------------------------------------------------------------------------------------


def _staff(*allowed: str) -> Callable:
    def check(application, user) -> bool:
        return roles.has_role(user, *allowed, roles.MANAGER)

    check.roles = (*allowed, roles.MANAGER)  # type: ignore[attr-defined]  # function attribute read by the UI
    return check


def _owner_or_staff(*allowed: str) -> Callable:
    def check(application, user) -> bool:
        if roles.is_borrower(user) and application.applicant_id == user.pk:
            return True
        return roles.has_role(user, *allowed, roles.MANAGER)

    check.roles = (roles.BORROWER, *allowed, roles.MANAGER)  # type: ignore[attr-defined]  # read by the UI
    return check


# --- guards --------------------------------------------------------------------------------------------


@guard("The primary borrower is on the application", "no primary borrower is on the application")
def has_primary_borrower(app) -> bool:
    return app.borrowers.filter(is_primary=True).exists()


@guard(
    "The six TRID application items are complete (name, income, SSN, property, value, loan amount)",
    "the TRID application items are not complete (name, income, SSN, property, value, loan amount)",
)
def trid_items_complete(app) -> bool:
    return app.application_date is not None


def _unverified_required_documents(app):
    verified = app.documents.filter(status="verified").values("document_type")
    return app.product.document_checklist.filter(required_for_submission=True).exclude(document_type__in=verified)


def _documents_not_verified(app) -> str:
    names = _unverified_required_documents(app).order_by("document_type__name")
    return "documents not verified: " + ", ".join(names.values_list("document_type__name", flat=True))


@guard("Every document required before underwriting is verified", _documents_not_verified)
def submission_documents_verified(app) -> bool:
    return not _unverified_required_documents(app).exists()


def _credit_not_pulled(app) -> str:
    borrowers = app.borrowers.filter(credit_reports__isnull=True).order_by("-is_primary", "id")
    return "credit not pulled for: " + ", ".join(str(b) for b in borrowers.only("first_name", "last_name"))


@guard("Credit has been pulled for every borrower", _credit_not_pulled)
def credit_pulled(app) -> bool:
    return not app.borrowers.exclude(credit_reports__isnull=False).exists()


@guard("Automated underwriting findings are on file", "no automated underwriting findings are on file")
def findings_present(app) -> bool:
    return app.findings.exists()


def _open_conditions(app, *stages: str) -> bool:
    return app.conditions.filter(stage__in=stages, status="open").exists()


def _conditions_open(*stages: str) -> Callable:
    def reason(app) -> str:
        count = app.conditions.filter(stage__in=stages, status="open").count()
        kinds = " or ".join(stage.replace("_", "-") for stage in stages)
        return f"{count} {kinds} condition{'s are' if count != 1 else ' is'} open"

    return reason


@guard("No prior-to-approval condition is open", _conditions_open("prior_to_approval"))
def approval_conditions_cleared(app) -> bool:
    return not _open_conditions(app, "prior_to_approval")


@guard("At least one condition is open", "no condition is open (add the conditions first, or approve)")
def has_open_conditions(app) -> bool:
    return app.conditions.filter(status="open").exists()


@guard(
    "Every prior-to-approval and prior-to-docs condition is cleared",
    _conditions_open("prior_to_approval", "prior_to_docs"),
)
def docs_conditions_cleared(app) -> bool:
    return not _open_conditions(app, "prior_to_approval", "prior_to_docs")


def _compliance_failing(app) -> str:
    failing = list(app.compliance_checks.filter(result="fail").order_by("code").values_list("code", flat=True))
    if not failing:
        return "the compliance checks have not been run"
    return "compliance checks fail: " + ", ".join(code.replace("_", " ") for code in failing)


@guard("Every compliance check passes", _compliance_failing)
def compliance_passes(app) -> bool:
    return app.compliance_checks.exists() and not app.compliance_checks.filter(result="fail").exists()


@guard("A closing date is scheduled", "no closing date is scheduled")
def closing_date_set(app) -> bool:
    return app.closing_date is not None


@guard("A Closing Disclosure has been issued (mortgages)", "no Closing Disclosure has been issued")
def closing_disclosure_issued(app) -> bool:
    return not _follows_trid(app) or app.disclosures.filter(kind="closing_disclosure").exists()


@guard(
    "The Truth in Lending disclosure has been given (consumer loans other than mortgages)",
    "no Truth in Lending disclosure has been given",
)
def truth_in_lending_disclosure_given(app) -> bool:
    if app.product.disclosure_rule != "truth_in_lending":
        return True
    return app.disclosures.filter(kind="truth_in_lending").exists()


def _latest_closing_disclosure(app):
    return app.disclosures.filter(kind="closing_disclosure").order_by("-issued_on", "-id").first()


def closing_disclosure_received_on(app) -> date | None:
    """Actual receipt, else presumed receipt 3 business days after it was sent (Reg Z 1026.19(f)(1)(iii))."""
    cd = _latest_closing_disclosure(app)
    return None if cd is None else trid.received_on(cd)


def _follows_trid(app) -> bool:
    return app.product.disclosure_rule == "trid"  # closed-end consumer mortgages only


def _consummation(app) -> date:
    return app.closing_date or timezone.localdate()


def _cd_wait_running(app) -> str:
    cd = _latest_closing_disclosure(app)
    if cd is None:
        return "no Closing Disclosure has been issued"
    received, earliest = trid.received_on(cd), trid.after_closing_disclosure(cd)
    return f"the Closing Disclosure was received {received:%b %-d, %Y}: {trid.allowed_from(earliest)}"


@guard("The Closing Disclosure was received at least 3 business days before closing", _cd_wait_running)
def closing_disclosure_waiting_period_met(app) -> bool:
    if not _follows_trid(app):
        return True
    cd = _latest_closing_disclosure(app)
    return cd is not None and _consummation(app) >= trid.after_closing_disclosure(cd)


def _loan_estimates(app) -> list:
    return list(app.disclosures.filter(kind="loan_estimate").order_by("issued_on", "id"))


def _le_wait_explained(app) -> str:
    earliest = trid.after_loan_estimates(_loan_estimates(app))
    if earliest is None:
        return "no Loan Estimate has been issued"
    return (
        "the Loan Estimate waiting periods have not passed (7 business days after the Loan Estimate, 4 after "
        f"receipt of a revised one): {trid.allowed_from(earliest)}"
    )


@guard("The Loan Estimate waiting periods have passed (1026.19(e)(1)(iii)(B), (e)(4)(ii))", _le_wait_explained)
def loan_estimate_waiting_periods_met(app) -> bool:
    if not _follows_trid(app):
        return True
    earliest = trid.after_loan_estimates(_loan_estimates(app))
    return earliest is not None and _consummation(app) >= earliest


def _closing_date_ahead(app) -> str:
    if app.closing_date is None:
        return "no closing date is scheduled"
    return f"the closing is scheduled for {app.closing_date:%b %-d, %Y}, not yet reached"


@guard("The scheduled closing date has arrived", _closing_date_ahead)
def closing_date_reached(app) -> bool:
    return app.closing_date is not None and app.closing_date <= timezone.localdate()


@guard("Closing documents have been generated", "the closing documents have not been generated")
def closing_documents_ready(app) -> bool:
    return app.closing_documents.exists()


@guard("The signing has been recorded", "the signing on the scheduled closing date has not been recorded")
def signing_recorded(app) -> bool:
    """The borrowers' signing is recorded on the scheduled closing date (a signing before a reschedule does not
    count: the CD wait is measured against the scheduled date)."""
    # Looked up by name: the models import this module, so importing theirs would make an import circle.
    signature = django_apps.get_model("origination", "ClosingSignature")
    return signature.objects.filter(application_id=app.pk, signed_on=app.closing_date).exists()


@guard(
    "Every prior-to-funding condition is cleared",
    _conditions_open("prior_to_approval", "prior_to_docs", "prior_to_funding"),
)
def funding_conditions_cleared(app) -> bool:
    return not _open_conditions(app, "prior_to_approval", "prior_to_docs", "prior_to_funding")


def rescission_ends_on(app) -> date | None:
    """The last day of the right to rescind (refinance of a principal dwelling, Reg Z 1026.23), else None."""
    if app.purpose not in ("refinance", "cash_out") or app.product.kind != "mortgage" or app.closing_date is None:
        return None
    prop = getattr(app, "subject_property", None)
    if prop is None or prop.occupancy != "primary":
        return None
    return calendar.add_business_days(app.closing_date, RESCISSION_BUSINESS_DAYS, calendar.SPECIFIC)


def earliest_funding_date(app) -> date | None:
    """The first day the loan may be funded: the closing date, or after a right to rescind the first business
    day after it ends (funds move after midnight of its third business day, Reg Z 1026.23(c))."""
    last_day = rescission_ends_on(app)
    if last_day is None:
        return app.closing_date
    return calendar.next_business_day(last_day + timedelta(days=1), calendar.GENERAL)


def _rescission_running(app) -> str:
    return f"the right to rescind runs through {rescission_ends_on(app):%b %-d, %Y}"


@guard("The right-of-rescission period has ended (refinance of a principal dwelling)", _rescission_running)
def rescission_period_over(app) -> bool:
    last_day = rescission_ends_on(app)
    return last_day is None or timezone.localdate() > last_day


# --- the workflow ----------------------------------------------------------------------------------------


class ApplicationWorkflow:
    """Mixed into Application. Each method is one transition; bodies only stamp dates on the instance."""

    @transition(
        field="status",
        source=DRAFT,
        target=SUBMITTED,
        conditions=[has_primary_borrower, trid_items_complete],
        permission=_owner_or_staff(roles.LOAN_OFFICER),
    )
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field="status", source=SUBMITTED, target=PROCESSING, permission=_staff(roles.PROCESSOR, roles.LOAN_OFFICER)
    )
    def start_processing(self):
        pass

    @transition(
        field="status",
        source=[PROCESSING, SUSPENDED],
        target=UNDERWRITING,
        conditions=[submission_documents_verified, credit_pulled, findings_present],
        permission=_staff(roles.PROCESSOR),
    )
    def send_to_underwriting(self):
        pass

    @transition(
        field="status",
        source=[UNDERWRITING, CONDITIONALLY_APPROVED],
        target=APPROVED,
        conditions=[findings_present, approval_conditions_cleared],
        permission=_staff(roles.UNDERWRITER),
    )
    def approve(self):
        self.decided_at = timezone.now()

    @transition(
        field="status",
        source=UNDERWRITING,
        target=CONDITIONALLY_APPROVED,
        conditions=[findings_present, has_open_conditions],
        permission=_staff(roles.UNDERWRITER),
    )
    def approve_with_conditions(self):
        self.decided_at = timezone.now()

    @transition(
        field="status",
        source=[UNDERWRITING, CONDITIONALLY_APPROVED],
        target=SUSPENDED,
        permission=_staff(roles.UNDERWRITER),
    )
    def suspend(self):
        pass

    @transition(
        field="status",
        source=[UNDERWRITING, SUSPENDED, CONDITIONALLY_APPROVED],
        target=DENIED,
        permission=_staff(roles.UNDERWRITER),
    )
    def deny(self):
        self.decided_at = timezone.now()

    @transition(
        field="status",
        source=[APPROVED, CONDITIONALLY_APPROVED],
        target=CLEAR_TO_CLOSE,
        conditions=[docs_conditions_cleared, compliance_passes],
        permission=_staff(roles.UNDERWRITER, roles.CLOSER),
    )
    def clear_to_close(self):
        pass

    @transition(
        field="status",
        source=CLEAR_TO_CLOSE,
        target=CLOSING,
        conditions=[
            closing_date_set,
            closing_disclosure_issued,
            truth_in_lending_disclosure_given,
            closing_documents_ready,
        ],
        permission=_staff(roles.CLOSER),
    )
    def start_closing(self):
        pass

    @transition(
        field="status",
        source=CLOSING,
        target=CLOSED,
        conditions=[
            closing_date_reached,
            signing_recorded,
            loan_estimate_waiting_periods_met,
            closing_disclosure_waiting_period_met,
            compliance_passes,
        ],
        permission=_staff(roles.CLOSER),
    )
    def close(self):
        pass

    @transition(
        field="status",
        source=CLOSED,
        target=FUNDED,
        conditions=[funding_conditions_cleared, rescission_period_over],
        permission=_staff(roles.CLOSER),
    )
    def fund(self):
        self.funded_at = timezone.now()

    @transition(
        field="status",
        source=BEFORE_CLOSED,
        target=WITHDRAWN,
        permission=_owner_or_staff(roles.LOAN_OFFICER, roles.PROCESSOR),
    )
    def withdraw(self):
        pass


TRANSITION_LABELS = {
    "submit": "Submit application",
    "start_processing": "Start processing",
    "send_to_underwriting": "Send to underwriting",
    "approve": "Approve",
    "approve_with_conditions": "Approve with conditions",
    "suspend": "Suspend",
    "deny": "Deny",
    "clear_to_close": "Clear to close",
    "start_closing": "Start closing",
    "close": "Record closing (consummation)",
    "fund": "Fund",
    "withdraw": "Withdraw",
}
# Transitions whose note is required: the reason is part of the record (suspension, denial, withdrawal).
NOTE_REQUIRED = {"suspend", "deny", "withdraw"}
# Underwriting decisions are recorded with their reasons in the underwriter's workspace, not as bare actions.
DECISIONS = {"approve", "approve_with_conditions", "suspend", "deny"}


@dataclass(frozen=True)
class TransitionOption:
    """A transition from the current state, as one user sees it: allowed now, or blocked and why."""

    name: str
    label: str
    target: str
    allowed_for_user: bool
    blocked_by: tuple[str, ...]

    @property
    def available(self) -> bool:
        return self.allowed_for_user and not self.blocked_by

    @property
    def is_decision(self) -> bool:
        return self.name in DECISIONS


def transition_options(application, user) -> list[TransitionOption]:
    """The transitions from the application's current state that this user's role may fire, with blockers."""
    current = application.status
    options = []
    for fsm_transition in application.get_all_status_transitions():
        if fsm_transition.source not in (current, "*"):
            continue
        if not fsm_transition.has_perm(application, user):
            continue
        blocked = blocked_reasons(fsm_transition.conditions, application)
        name = fsm_transition.name
        options.append(TransitionOption(name, TRANSITION_LABELS[name], fsm_transition.target, True, blocked))
    return sorted(options, key=lambda o: list(TRANSITION_LABELS).index(o.name))
