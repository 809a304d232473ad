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
from datetime import date

from django.utils import timezone
from django_fsm import transition

from lending.core import calendar, roles

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
CD_WAITING_BUSINESS_DAYS = 3  # Reg Z 1026.19(f)(1)(ii)(A)
RESCISSION_BUSINESS_DAYS = 3  # Reg Z 1026.23(a)(3)


def guard(label: str) -> Callable[[Callable], Callable]:
    """Name a guard for people: the label says what must be true, and is shown when it is not."""

    def mark(func: Callable) -> Callable:
        func.label = label  # type: ignore[attr-defined]  # a function attribute the UI reads
        return func

    return mark


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


@guard("The primary borrower is on the application")
def has_primary_borrower(app) -> bool:
    return app.borrowers.filter(is_primary=True).exists()


@guard("The six TRID application items are complete (name, income, SSN, property, value, loan amount)")
def trid_items_complete(app) -> bool:
    return app.application_date is not None


@guard("Every document required before underwriting is verified")
def submission_documents_verified(app) -> bool:
    required = app.product.document_checklist.filter(required_for_submission=True).values("document_type")
    return not required.exclude(
        document_type__in=app.documents.filter(status="verified").values("document_type")
    ).exists()


@guard("Credit has been pulled for every borrower")
def credit_pulled(app) -> bool:
    return not app.borrowers.exclude(credit_reports__isnull=False).exists()


@guard("Automated underwriting findings are on file")
def findings_present(app) -> bool:
    return app.findings.exists()


def _open_conditions(app, *stages: str) -> bool:
    return app.conditions.filter(stage__in=stages, status="open").exists()


@guard("No prior-to-approval condition is open")
def approval_conditions_cleared(app) -> bool:
    return not _open_conditions(app, "prior_to_approval")


@guard("At least one condition is open")
def has_open_conditions(app) -> bool:
    return app.conditions.filter(status="open").exists()


@guard("Every prior-to-approval and prior-to-docs condition is cleared")
def docs_conditions_cleared(app) -> bool:
    return not _open_conditions(app, "prior_to_approval", "prior_to_docs")


@guard("Every compliance check passes")
def compliance_passes(app) -> bool:
    return app.compliance_checks.exists() and not app.compliance_checks.filter(result="fail").exists()


@guard("A closing date is scheduled")
def closing_date_set(app) -> bool:
    return app.closing_date is not None


@guard("A Closing Disclosure has been issued")
def closing_disclosure_issued(app) -> bool:
    return app.disclosures.filter(kind="closing_disclosure").exists()


def closing_disclosure_received_on(app) -> date | None:
    """Actual receipt, else presumed receipt 3 business days after it was sent (Reg Z 1026.19(f)(1)(iii))."""
    cd = app.disclosures.filter(kind="closing_disclosure").order_by("-issued_on", "-id").first()
    if cd is None:
        return None
    if cd.received_on:
        return cd.received_on
    if cd.delivery == "in_person":
        return cd.issued_on
    return calendar.add_business_days(cd.issued_on, 3, calendar.SPECIFIC)


@guard("The Closing Disclosure was received at least 3 business days before closing")
def closing_disclosure_waiting_period_met(app) -> bool:
    received = closing_disclosure_received_on(app)
    consummation = app.closing_date or timezone.localdate()
    if received is None:
        return False
    earliest = calendar.add_business_days(received, CD_WAITING_BUSINESS_DAYS, calendar.SPECIFIC)
    return consummation >= earliest


@guard("The scheduled closing date has arrived")
def closing_date_reached(app) -> bool:
    return app.closing_date is not None and app.closing_date <= timezone.localdate()


@guard("Closing documents have been generated")
def closing_documents_ready(app) -> bool:
    return app.closing_documents.exists()


@guard("The signing has been recorded")
def signing_recorded(app) -> bool:
    """The borrowers' signing is recorded on the scheduled closing date (a signing before a reschedule does not
    count: the CD wait is measured against the scheduled date)."""
    from origination.models.closing import ClosingSignature  # the models import this module

    return ClosingSignature.objects.filter(application_id=app.pk, signed_on=app.closing_date).exists()


@guard("Every prior-to-funding condition is cleared")
def funding_conditions_cleared(app) -> bool:
    return not _open_conditions(app, "prior_to_approval", "prior_to_docs", "prior_to_funding")


@guard("The right-of-rescission period has ended (refinance of a principal dwelling)")
def rescission_period_over(app) -> bool:
    if app.purpose not in ("refinance", "cash_out") or app.product.kind != "mortgage":
        return True
    prop = getattr(app, "subject_property", None)
    if prop is None or prop.occupancy != "primary" or app.closing_date is None:
        return True
    # Funds may not be disbursed until after midnight of the third business day (Reg Z 1026.23(c)).
    last_day = calendar.add_business_days(app.closing_date, RESCISSION_BUSINESS_DAYS, calendar.SPECIFIC)
    return timezone.localdate() > last_day


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
        conditions=[closing_date_set, closing_disclosure_issued, closing_documents_ready],
        permission=_staff(roles.CLOSER),
    )
    def start_closing(self):
        pass

    @transition(
        field="status",
        source=CLOSING,
        target=CLOSED,
        conditions=[closing_date_reached, signing_recorded, closing_disclosure_waiting_period_met, compliance_passes],
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
        blocked = tuple(cond.label for cond in fsm_transition.conditions if not cond(application))
        name = fsm_transition.name
        options.append(TransitionOption(name, TRANSITION_LABELS[name], fsm_transition.target, True, blocked))
    return sorted(options, key=lambda o: list(TRANSITION_LABELS).index(o.name))
