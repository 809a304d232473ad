"""Loss mitigation applications and the foreclosure referral, Reg X 12 CFR 1024.41.

- Receipt: a collector or manager records the application; the acknowledgment is due within 5 days excluding legal
  public holidays, Saturdays and Sundays (41(b)(2)(i)(B); ``calendar.WEEKDAY``).
- Acknowledgment: a letter saying the application is complete, or incomplete with the documents missing and the
  date to send them by (41(b)(2)(i)(B), (ii); ``submit_by_date``).
- Complete: every document of ``LossMitigationDocument.REQUIRED`` on file; the evaluation is due within 30 days of
  it (41(c)(1), calendar days as the rule has them).
- Decision: an approved option, or a denial with its specific reasons (41(d)), in a letter stating the right to
  appeal within 14 days (41(h)(2)); an approval may be accepted within the same 14 days (41(e)(1)).
- The foreclosure referral that a pending complete application holds back (41(f)(2)) is
  ``servicing.services.foreclosure_referral``.

The uploaded documents use origination's checks (``upload_inspect``: real type sniffed, size limit, hashed) but are
stored here: origination's ``Document`` belongs to an ``Application`` and its product checklist and review workflow,
and a loan boarded from a servicing transfer has no application at all.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from lending.core import calendar, roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.delinquency import FORECLOSURE_REFERRAL_DAYS
from origination.services.disclosures import pdf_render
from origination.services.documents import UploadRefused, upload_inspect
from servicing.models import (
    BorrowerDocument,
    LoanAccount,
    LossMitigationApplication,
    LossMitigationDocument,
)
from servicing.services.collections import CollectionsError
from servicing.services.documents import borrower_display_name, document_store
from servicing.services.early_intervention import delinquency_start, options_context
from servicing.services.letter_context import letter_context

App = LossMitigationApplication
ACKNOWLEDGE_DAYS = 5  # 41(b)(2)(i)(B), business days (calendar.WEEKDAY)
EVALUATE_DAYS = 30  # 41(c)(1)
APPEAL_DAYS = 14  # 41(h)(2); the same 14 days to accept an offer, 41(e)(1)
SUBMIT_DAYS = 30  # a reasonable date to complete the application, when no milestone comes sooner
SUBMIT_MIN_DAYS = 7  # comment 41(b)(2)(ii)-1: never less than seven days from the notice
WORK_ROLES = (roles.COLLECTOR, roles.MANAGER)


class LossMitigationError(CollectionsError):
    """A loss mitigation action was refused; nothing was written (``field``: the input at fault, if any)."""


def _today() -> date:
    return timezone.localdate()


def _require(actor: User, *allowed: str) -> None:
    if not roles.has_role(actor, *allowed):
        names = " or ".join(f"a {name}" for name in allowed)
        raise LossMitigationError(f"Only {names} may do this.")


def _lock(application: App) -> App:
    return App.objects.select_for_update().select_related("loan").get(pk=application.pk)


# --- the timeline ------------------------------------------------------------------------------------------------


def acknowledge_due(received_on: date) -> date:
    """5 days after receipt, excluding legal public holidays, Saturdays and Sundays: received Thursday Feb 11 2027,
    Feb 12 (1), [13-14 weekend, 15 Washington's Birthday], 16, 17, 18 (4), Friday Feb 19 (5)."""
    return calendar.add_business_days(received_on, ACKNOWLEDGE_DAYS, rule=calendar.WEEKDAY)


def evaluate_due(completed_on: date) -> date:
    return completed_on + timedelta(days=EVALUATE_DAYS)


def submit_by_date(acknowledged_on: date, start: date | None) -> date:
    """The date to complete the application by (41(b)(2)(ii), comment 41(b)(2)(ii)-1): 30 days from the notice,
    or sooner the day the loan would become more than 120 days delinquent (the first milestone: a referral is
    allowed from then, 41(f)), but never less than 7 days from the notice."""
    latest = acknowledged_on + timedelta(days=SUBMIT_DAYS)
    if start is not None:
        latest = min(latest, start + timedelta(days=FORECLOSURE_REFERRAL_DAYS))
    return max(latest, acknowledged_on + timedelta(days=SUBMIT_MIN_DAYS))


def missing_kinds(application: App) -> list[str]:
    on_file = set(LossMitigationDocument.objects.filter(application=application).values_list("kind", flat=True))
    return [kind for kind in LossMitigationDocument.REQUIRED if kind not in on_file]


def missing_labels(kinds: list[str]) -> list[str]:
    return [str(LossMitigationDocument.Kind(kind).label) for kind in kinds]


# --- the application ---------------------------------------------------------------------------------------------


@transaction.atomic
def loss_mitigation_receive(*, actor: User, loan: LoanAccount, received_on: date, note: str = "") -> App:
    """Record a loss mitigation application received on ``received_on``. The same receipt recorded twice returns
    the open application; another while one is open is refused (it is decided first)."""
    _require(actor, *WORK_ROLES)
    today = _today()
    if received_on > today:
        raise LossMitigationError("The date received cannot be in the future.", field="received_on")
    locked = LoanAccount.objects.select_for_update().get(pk=loan.pk)
    if locked.status != LoanAccount.Status.ACTIVE:
        raise LossMitigationError("The loan is not active.")
    open_app = App.objects.filter(loan=locked, status__in=App.OPEN).first()
    if open_app is not None:
        if open_app.received_on == received_on:
            return open_app
        raise LossMitigationError(
            f"The loan already has an open application (received {open_app.received_on:%b %d, %Y}): it is decided "
            "first."
        )
    application = App.objects.create(
        loan=locked,
        received_on=received_on,
        received_by=actor,
        acknowledge_by=acknowledge_due(received_on),
        note=note,
    )
    audit_record(
        actor=actor,
        verb="loan.loss_mitigation_received",
        target=locked,
        after={"application": application.pk, "received_on": received_on, "acknowledge_by": application.acknowledge_by},
    )
    return application


@transaction.atomic
def loss_mitigation_document_add(
    *, actor: User, application: App, kind: str, uploaded_file: UploadedFile[bytes]
) -> LossMitigationDocument:
    """Store a document the borrower sent for ``application`` (checked as origination checks uploads)."""
    _require(actor, *WORK_ROLES)
    if kind not in LossMitigationDocument.Kind.values:
        raise LossMitigationError("Choose what the document is.", field="kind")
    try:
        file_kind, sha256, size, name = upload_inspect(uploaded_file)
    except UploadRefused as exc:
        raise LossMitigationError(str(exc), field="file") from exc
    locked = _lock(application)
    if locked.status not in App.OPEN:
        raise LossMitigationError("The application is decided: it takes no new documents.")
    if LossMitigationDocument.objects.filter(application=locked, sha256=sha256).exists():
        raise LossMitigationError("This file is already on the application.", field="file")
    document = LossMitigationDocument(
        application=locked,
        kind=kind,
        original_name=name,
        content_type=file_kind.content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    document.file.save(sha256, uploaded_file, save=False)
    try:
        document.save()
        audit_record(
            actor=actor,
            verb="loan.loss_mitigation_document",
            target=locked.loan,
            after={"application": locked.pk, "kind": kind, "sha256": sha256, "size": size},
        )
    except BaseException:
        document.file.delete(save=False)  # no stored file without its row
        raise
    return document


def _mark_complete(application: App, on: date) -> None:
    application.status = App.Status.COMPLETE
    application.completed_on = on
    application.evaluate_by = evaluate_due(on)


@transaction.atomic
def loss_mitigation_acknowledge(*, actor: User, application: App) -> App:
    """Acknowledge ``application`` today in a letter: complete (the evaluation is due in 30 days) or incomplete,
    with the documents missing and the date to send them by. Once only: a second call returns it unchanged."""
    _require(actor, *WORK_ROLES)
    locked = _lock(application)
    if locked.acknowledged_on is not None:
        return locked
    if locked.status not in App.OPEN:
        raise LossMitigationError("The application is decided.")
    today = _today()
    missing = missing_kinds(locked)
    locked.acknowledged_on, locked.missing = today, missing
    if missing:
        locked.status = App.Status.INCOMPLETE
        locked.submit_by = submit_by_date(today, delinquency_start(locked.loan))
    elif locked.status != App.Status.COMPLETE:
        _mark_complete(locked, today)
    locked.acknowledgment = _letter(
        locked,
        kind=BorrowerDocument.Kind.LOSS_MIT_ACK,
        title="We received your loss mitigation application",
        template="pdf/borrower/loss_mitigation_ack.html",
        on=today,
        actor=actor,
        missing_labels=missing_labels(missing),
    )
    locked.save()
    audit_record(
        actor=actor,
        verb="loan.loss_mitigation_acknowledged",
        target=locked.loan,
        after={
            "application": locked.pk,
            "acknowledged_on": today,
            "late": today > locked.acknowledge_by,
            "status": locked.status,
            "missing": missing,
            "submit_by": locked.submit_by,
            "evaluate_by": locked.evaluate_by,
        },
    )
    return locked


@transaction.atomic
def loss_mitigation_complete(*, actor: User, application: App) -> App:
    """Every required document is on file: the application is complete today and its evaluation due in 30 days."""
    _require(actor, *WORK_ROLES)
    locked = _lock(application)
    if locked.status == App.Status.COMPLETE:
        return locked
    if locked.status not in App.OPEN:
        raise LossMitigationError("The application is decided.")
    missing = missing_kinds(locked)
    if missing:
        raise LossMitigationError(f"Still missing: {', '.join(missing_labels(missing))}.")
    before = locked.status
    _mark_complete(locked, _today())
    locked.save(update_fields=["status", "completed_on", "evaluate_by"])
    audit_record(
        actor=actor,
        verb="loan.loss_mitigation_complete",
        target=locked.loan,
        before={"status": before},
        after={"application": locked.pk, "completed_on": locked.completed_on, "evaluate_by": locked.evaluate_by},
    )
    return locked


@transaction.atomic
def loss_mitigation_decide(
    *, actor: User, application: App, approved: bool, option: str = "", reasons: str = ""
) -> App:
    """Decide a complete application: ``option`` when approved, the specific ``reasons`` when denied. The decision
    letter states the 14 days to appeal (and to accept an offer)."""
    _require(actor, *WORK_ROLES)
    reasons = (reasons or "").strip()
    if approved and option not in App.Option.values:
        raise LossMitigationError("Choose the option approved.", field="option")
    if not approved and not reasons:
        raise LossMitigationError("State the specific reasons for the denial: the letter gives them.", field="reasons")
    locked = _lock(application)
    if locked.status in (App.Status.APPROVED, App.Status.DENIED):
        return locked
    if locked.status != App.Status.COMPLETE:
        raise LossMitigationError("Only a complete application can be evaluated: mark it complete first.")
    today = _today()
    locked.status = App.Status.APPROVED if approved else App.Status.DENIED
    locked.option = option if approved else ""
    locked.denial_reasons = "" if approved else reasons
    locked.decided_on, locked.appeal_by = today, today + timedelta(days=APPEAL_DAYS)
    locked.decision_letter = _letter(
        locked,
        kind=BorrowerDocument.Kind.LOSS_MIT_DECISION,
        title="Decision on your loss mitigation application",
        template="pdf/borrower/loss_mitigation_decision.html",
        on=today,
        actor=actor,
    )
    locked.save()
    audit_record(
        actor=actor,
        verb="loan.loss_mitigation_decided",
        target=locked.loan,
        before={"status": App.Status.COMPLETE},
        after={
            "application": locked.pk,
            "status": locked.status,
            "option": locked.option,
            "decided_on": today,
            "late": today > (locked.evaluate_by or today),
            "appeal_by": locked.appeal_by,
        },
        note=reasons,
    )
    return locked


def _letter(
    application: App, *, kind: str, title: str, template: str, on: date, actor: User, **extra: object
) -> BorrowerDocument:
    """Render and store one letter about ``application`` (its key: the application, so once per kind)."""
    loan = application.loan
    context = letter_context(loan, borrower_name=borrower_display_name(loan), lm=application, **options_context())
    pdf = pdf_render(template, {**context, **extra})
    return document_store(
        loan=loan, kind=kind, key=str(application.pk), title=title, document_date=on, pdf=pdf, actor=actor
    )
