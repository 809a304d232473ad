"""Loss mitigation reads: the Reg X deadlines of a delinquent loan (early intervention, 1024.39; a loss mitigation
application's acknowledgment and evaluation, 1024.41) as due, done or late, for the queue and the loan's
collections page, and the page's loss mitigation section with the foreclosure referral and why it is held back.

A deadline is *done* when its action happened by the deadline, *late* when it happened after it or has not happened
and the deadline is past, *due* otherwise; days count in the servicer's time zone (``timezone.localdate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects
from django.utils import timezone

from lending.core.compiled import CompiledQuery, CompiledRowsByIds, fetch_together
from servicing.models import (
    ContactAttempt,
    EarlyInterventionNotice,
    ForeclosureReferral,
    Installment,
    LoanAccount,
    LossMitigationApplication,
    LossMitigationDocument,
)
from servicing.services.early_intervention import (
    delinquency_start,
    live_contact_due_by,
    notice_due_by,
    notice_window_start,
)
from servicing.services.foreclosure_referral import ReferralBlock, referral_block
from servicing.services.loss_mitigation import missing_labels

App = LossMitigationApplication
DUE, DONE, LATE, EXEMPT = "due", "done", "late", "exempt"
ASKED = "asked"  # a date we gave the borrower, not one we must meet
NOTICE_ROWS = 5
APPLICATION_ROWS = 5


def _today() -> date:
    return timezone.localdate()


@dataclass(frozen=True)
class Deadline:
    """One Reg X deadline: what, by when, and its state (due / done / late / exempt, or asked of the borrower)."""

    label: str
    due_by: date | None
    state: str
    done_on: date | None = None
    note: str = ""

    @property
    def badge(self) -> str:
        return {DUE: "text-bg-warning", DONE: "text-bg-success", LATE: "text-bg-danger"}.get(
            self.state, "text-bg-secondary"
        )


def deadline(label: str, due_by: date, done_on: date | None, today: date, note: str = "") -> Deadline:
    """Done on or before ``due_by``: done; after it, or not done with ``due_by`` past: late; else due."""
    if done_on is not None:
        return Deadline(label, due_by, DONE if done_on <= due_by else LATE, done_on, note)
    return Deadline(label, due_by, LATE if today > due_by else DUE, None, note)


def _first_on_or_after(days: list[date], day: date) -> date | None:
    """The first of the sorted ``days`` on or after ``day``."""
    return next((d for d in days if d >= day), None)


def live_contact_deadlines(start: date, due_dates: list[date], call_days: list[date], today: date) -> list[Deadline]:
    """1024.39(a): a live contact (or a good-faith attempt: any call) by the 36th day of the delinquency, and again
    within 36 days after each later due date while the loan stays delinquent. A call satisfies every due date it
    falls within 36 days after. Shown: the latest due date whose 36 days have passed (done or late), and the most
    urgent one still running (the earliest without a call, else the earliest), each naming its payment."""
    cycles = sorted({start, *(d for d in due_dates if start < d <= today)})
    calls = sorted(call_days)

    def row(due: date) -> Deadline:
        note = f"payment due {due:%Y-%m-%d}"
        return deadline("Live contact", live_contact_due_by(due), _first_on_or_after(calls, due), today, note)

    closed = [due for due in cycles if live_contact_due_by(due) < today]
    running = [due for due in cycles if live_contact_due_by(due) >= today]
    rows = [row(closed[-1])] if closed else []
    if running:
        unmet = [due for due in running if _first_on_or_after(calls, due) is None]
        rows.append(row(unmet[0] if unmet else running[0]))
    return rows


def early_intervention_deadlines(
    loan: LoanAccount, due_dates: list[date], call_days: list[date], last_notice_on: date | None, today: date
) -> list[Deadline]:
    """The live contacts (``live_contact_deadlines``) and the written notice by day 45 of the loan's delinquency
    (none when current). Cease contact exempts the live contact (1024.39(d)(1)). A notice sent within the 180 days
    ending on day 45 meets the notice (b)(1). ``call_days``: the days of the calls since the delinquency began."""
    start = delinquency_start(loan)
    if start is None:
        return []
    if loan.cease_contact_at is not None:
        calls = [
            Deadline("Live contact", live_contact_due_by(start), EXEMPT, note="Cease contact: exempt (1024.39(d)(1))")
        ]
    else:
        calls = live_contact_deadlines(start, due_dates, call_days, today)
    notice_due = notice_due_by(start)
    counted = last_notice_on if last_notice_on and last_notice_on >= notice_window_start(notice_due) else None
    return [*calls, deadline("Written notice", notice_due, counted, today)]


def _due_dates(ids: list[int], earliest: date, today: date) -> QuerySet[Installment, Any]:
    rows = Installment.objects.filter(loan_id__in=ids, due_date__gte=earliest, due_date__lte=today)
    return rows.order_by().values("loan_id", "due_date")


def _calls(ids: list[int], earliest: date) -> QuerySet[ContactAttempt, Any]:
    rows = ContactAttempt.objects.filter(loan_id__in=ids, channel=ContactAttempt.Channel.CALL, at__date__gte=earliest)
    return rows.order_by().values("loan_id", "at")


# Read on every queue page (and loan page): compiled once per number of loans, as building the two querysets cost
# more CPU than their answers (issue 15, "Load"). The calls' day is taken in the time zone of the SQL, one per zone.
_DUE_DATES = CompiledRowsByIds(_due_dates, earliest=date, today=date)
_CALLS: dict[str, CompiledRowsByIds] = {}


def cycle_facts(loans: list[LoanAccount], today: date) -> tuple[dict[int, list[date]], dict[int, list[date]]]:
    """Per loan id: the due dates from its delinquency's start through ``today``, and the days of its calls since
    that start. Two queries for any number of loans."""
    starts = {loan.pk: start for loan in loans if (start := delinquency_start(loan)) is not None}
    due_dates: dict[int, list[date]] = {pk: [] for pk in starts}
    call_days: dict[int, list[date]] = {pk: [] for pk in starts}
    if not starts:
        return due_dates, call_days
    earliest = min(starts.values())
    ids = list(starts)
    for row in _DUE_DATES.fetch(ids, earliest=earliest, today=today):
        loan_id, due = row["loan_id"], row["due_date"]
        if due >= starts[loan_id]:
            due_dates[loan_id].append(due)
    zone = timezone.get_current_timezone_name()
    calls = _CALLS.get(zone) or _CALLS.setdefault(zone, CompiledRowsByIds(_calls, earliest=date))
    for row in calls.fetch(ids, earliest=earliest):
        day = timezone.localdate(row["at"])
        if day >= starts[row["loan_id"]]:
            call_days[row["loan_id"]].append(day)
    return due_dates, call_days


def application_deadlines(app: App, today: date) -> list[Deadline]:
    """An application's acknowledgment (5 business days) and, once complete, its evaluation (30 days)."""
    rows = [deadline("Acknowledgment", app.acknowledge_by, app.acknowledged_on, today)]
    if app.status == App.Status.INCOMPLETE and app.submit_by is not None:
        rows.append(Deadline("Borrower's documents", app.submit_by, ASKED, note="the date given to the borrower"))
    if app.evaluate_by is not None:
        rows.append(deadline("Evaluation", app.evaluate_by, app.decided_on, today))
    return rows


# --- the queue ---------------------------------------------------------------------------------------------------


def _open_application(field_name: str) -> Subquery:
    rows = App.objects.filter(loan=OuterRef("pk"), status__in=App.OPEN).values(field_name)[:1]
    return Subquery(rows)


def with_reg_x(loans: QuerySet[LoanAccount]) -> QuerySet[LoanAccount]:
    """``loans`` with what their Reg X deadlines need in the same query: the latest early intervention notice and
    the open application's dates (the due dates and calls come in two queries per page, ``queue_deadlines``)."""
    last_notice = EarlyInterventionNotice.objects.filter(loan=OuterRef("pk")).order_by("-sent_on").values("sent_on")
    return loans.annotate(
        ei_last_notice_on=Subquery(last_notice[:1]),
        lm_status=_open_application("status"),
        lm_acknowledge_by=_open_application("acknowledge_by"),
        lm_acknowledged_on=_open_application("acknowledged_on"),
        lm_submit_by=_open_application("submit_by"),
        lm_evaluate_by=_open_application("evaluate_by"),
    )


def queue_deadlines(loans: list[LoanAccount], today: date | None = None) -> list[LoanAccount]:
    """Set ``reg_x`` (the early intervention and open application deadlines) on each row of a queue page
    annotated by ``with_reg_x``: two queries (``cycle_facts``) whatever the page size."""
    today = today or _today()
    due_dates, call_days = cycle_facts(loans, today)
    for loan in loans:
        rows = early_intervention_deadlines(
            loan,
            due_dates.get(loan.pk, []),
            call_days.get(loan.pk, []),
            loan.ei_last_notice_on,  # type: ignore[attr-defined]  # annotated
            today,
        )
        status = loan.lm_status  # type: ignore[attr-defined]
        if status:
            app = App(
                status=status,
                acknowledge_by=loan.lm_acknowledge_by,  # type: ignore[attr-defined]
                acknowledged_on=loan.lm_acknowledged_on,  # type: ignore[attr-defined]
                submit_by=loan.lm_submit_by,  # type: ignore[attr-defined]
                evaluate_by=loan.lm_evaluate_by,  # type: ignore[attr-defined]
            )
            rows += [row for row in application_deadlines(app, today) if row.state != ASKED]
        loan.reg_x = rows  # type: ignore[attr-defined]
    return loans


# --- the loan's page ---------------------------------------------------------------------------------------------


@dataclass
class ApplicationRow:
    application: App
    deadlines: list[Deadline]
    missing: list[str]  # labels of the required documents not on file

    @property
    def is_open(self) -> bool:
        return self.application.status in App.OPEN


@dataclass
class LossMitigationSection:
    early_intervention: list[Deadline]
    notices: list[EarlyInterventionNotice]
    applications: list[ApplicationRow]
    referral: ForeclosureReferral | None
    referral_block: ReferralBlock | None
    today: date
    document_kinds: list[tuple[str, str]] = field(default_factory=list)

    @property
    def open_application(self) -> ApplicationRow | None:
        return next((row for row in self.applications if row.is_open), None)


def _missing(app: App) -> list[str]:
    on_file = {doc.kind for doc in app.documents.all()}
    return missing_labels([kind for kind in LossMitigationDocument.REQUIRED if kind not in on_file])


# Read on every visit of a loan's collections page: compiled once per process (lending.core.compiled), as building
# the querysets' SQL cost more CPU than the database's answer (issue 15, "Load").
_NOTICES = CompiledQuery(
    lambda loan_id: (
        EarlyInterventionNotice.objects.filter(loan_id=loan_id)
        .select_related("document")
        .order_by("-sent_on")[:NOTICE_ROWS]
    ),
    loan_id=int,
)
_APPLICATIONS = CompiledQuery(
    lambda loan_id: (
        App.objects.filter(loan_id=loan_id)
        .select_related("received_by", "acknowledgment", "decision_letter")
        .order_by("-received_on", "-id")[:APPLICATION_ROWS]
    ),
    loan_id=int,
)
_REFERRAL = CompiledQuery(
    lambda loan_id: (
        ForeclosureReferral.objects.filter(loan_id=loan_id).select_related("referred_by").order_by("pk")[:1]
    ),
    loan_id=int,
)


def loss_mitigation_section(loan: LoanAccount) -> LossMitigationSection:
    """The loan page's early intervention and loss mitigation section. Six queries: the due dates and the calls
    since the delinquency began (when it is delinquent), the notices, the applications and the referral (sent
    together: one round trip on PostgreSQL), and the applications' documents (when it has any)."""
    today = _today()
    due_dates, call_days = cycle_facts([loan], today)
    values = {"loan_id": loan.pk}
    notices, apps, referrals = fetch_together((_NOTICES, values), (_APPLICATIONS, values), (_REFERRAL, values))
    documents = Prefetch(
        "documents", queryset=LossMitigationDocument.objects.select_related("uploaded_by").order_by("kind", "-id")
    )
    prefetch_related_objects(apps, documents)
    referral = referrals[0] if referrals else None
    return LossMitigationSection(
        early_intervention=early_intervention_deadlines(
            loan,
            due_dates.get(loan.pk, []),
            call_days.get(loan.pk, []),
            notices[0].sent_on if notices else None,
            today,
        ),
        notices=notices,
        applications=[ApplicationRow(app, application_deadlines(app, today), _missing(app)) for app in apps],
        referral=referral,
        referral_block=None if referral is not None else referral_block(loan, today, apps),
        today=today,
        document_kinds=list(LossMitigationDocument.Kind.choices),
    )
