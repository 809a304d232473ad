"""Early intervention with delinquent borrowers, Reg X 12 CFR 1024.39.

- Live contact (1024.39(a)): by the 36th day of the delinquency, and again within 36 days after each later due date
  while it lasts, we reach the borrower by phone or make a good-faith attempt to: a call in the contact log on or
  after the due date (right-party contact or not) meets it (``selectors.loss_mitigation.live_contact_deadlines``).
- Written notice (1024.39(b)): by the 45th day, a letter with examples of the loss mitigation options, how to apply,
  our contact and the HUD housing counselor information; not more than once in any 180-day period (b)(1).
- Cease contact (1024.39(d)): a borrower who asked us to cease contact is exempt from the live contact (d)(1); the
  written notice is still sent, once in 180 days, without any request for payment and saying that we may invoke
  foreclosure (d)(2)(iii).

A day of delinquency counts from the due date of the oldest unpaid payment (Reg X 1024.31, the loan's
``next_due_date``; ``lending.finance.delinquency.days_past_due``): a payment due January 1 and unpaid is delinquent
on day 36 on February 6 and on day 45 on February 15 (comments 39(a)-1 and 39(b)(1)-2 use the same count).

The nightly ``early_intervention`` step makes the notices: ``notices_create`` writes the rows set-based and a Celery
task per hundred (``servicing.tasks.early_intervention_letters_make``) renders and stores each letter with
``document_store``, so the night only inserts rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from lending.core.models import AuditEvent, User
from lending.core.services import audit_event, audit_record_many
from origination.services.disclosures import pdf_render
from servicing.models import BorrowerDocument, EarlyInterventionNotice, LoanAccount
from servicing.services.documents import borrower_display_name, document_store
from servicing.services.letter_context import letter_context

LIVE_CONTACT_DAY = 36  # 1024.39(a): "no later than the 36th day of a borrower's delinquency"
NOTICE_DAY = 45  # 1024.39(b)(1): "no later than the 45th day of the borrower's delinquency"
# The night makes the notice on the 40th day: five days to print and mail it before the 45th, and a night or two
# missed (a weekend without a run, a failed step) still leaves it on time.
NOTICE_SEND_DAY = 40
NOTICE_INTERVAL_DAYS = 180  # 1024.39(b)(1): "not required ... more than once during any 180-day period"
LETTERS_PER_TASK = 100


def delinquency_start(loan: LoanAccount) -> date | None:
    """The due date of the oldest unpaid payment of a delinquent loan (day 0 of its delinquency); None if current."""
    if loan.days_past_due <= 0 or loan.next_due_date is None:
        return None
    return loan.next_due_date


def live_contact_due_by(start: date) -> date:
    return start + timedelta(days=LIVE_CONTACT_DAY)


def notice_due_by(start: date) -> date:
    return start + timedelta(days=NOTICE_DAY)


def notice_window_start(on: date) -> date:
    """The earliest ``sent_on`` of a notice that still covers ``on``: one sent within the 180 days ending on it."""
    return on - timedelta(days=NOTICE_INTERVAL_DAYS - 1)


def notice_needed(business_date: date) -> Q:
    """Loans the night of ``business_date`` owes a written notice: active, aged for that night at least
    ``NOTICE_SEND_DAY`` days past due, and without a notice in the 180 days ending on it."""
    recent = EarlyInterventionNotice.objects.filter(
        loan=OuterRef("pk"), sent_on__gte=notice_window_start(business_date)
    )
    return Q(
        status=LoanAccount.Status.ACTIVE,
        delinquency_as_of=business_date,
        days_past_due__gte=NOTICE_SEND_DAY,
    ) & ~Q(Exists(recent))


def loans_needing_notice(business_date: date) -> QuerySet[LoanAccount]:
    return LoanAccount.objects.filter(notice_needed(business_date))


def notices_create(*, business_date: date, loan_ids: list[int], actor: User | None) -> list[int]:
    """Make the written notices ``loan_ids`` are owed on ``business_date``: one row each (bulk), its audit row,
    and the letters enqueued after commit. Returns the new notices' ids; a rerun finds the loans done."""
    loans = list(
        loans_needing_notice(business_date)
        .filter(pk__in=loan_ids)
        .select_for_update()
        .only("pk", "loan_number", "next_due_date", "days_past_due", "cease_contact_at")
        .order_by("pk")
    )
    rows = []
    for loan in loans:
        start = delinquency_start(loan) or business_date - timedelta(days=loan.days_past_due)
        rows.append(
            EarlyInterventionNotice(
                loan=loan,
                delinquency_start=start,
                sent_on=business_date,
                due_by=notice_due_by(start),
                cease_contact=loan.cease_contact_at is not None,
            )
        )
    if not rows:
        return []
    created = EarlyInterventionNotice.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    if None in ids:  # SQLite before 3.35 returns no ids: read them back by their unique key
        ids = list(
            EarlyInterventionNotice.objects.filter(loan__in=loans, sent_on=business_date).values_list("pk", flat=True)
        )
    audit_record_many([_audit(row, actor) for row in created])
    letters_later(ids)
    return ids


def _audit(row: EarlyInterventionNotice, actor: User | None) -> AuditEvent:
    return audit_event(
        actor=actor,
        verb="loan.early_intervention_notice",
        target=row.loan,
        after={
            "sent_on": row.sent_on,
            "delinquency_start": row.delinquency_start,
            "due_by": row.due_by,
            "cease_contact": row.cease_contact,
        },
    )


def letters_later(notice_ids: Iterable[int]) -> None:
    """Render the notices' letters after commit, a task per hundred (the night only inserts rows)."""
    from servicing import tasks  # tasks import the services: import them here, not at module level

    def send(batch: list[int]) -> None:
        transaction.on_commit(lambda: tasks.early_intervention_letters_make.delay(batch))

    ids = list(notice_ids)
    for first in range(0, len(ids), LETTERS_PER_TASK):
        send(ids[first : first + LETTERS_PER_TASK])


def options_context() -> dict[str, object]:
    """What every loss mitigation letter says about the options and the HUD counselors (1024.39(b)(2)(iii)-(v))."""
    return {
        "options": [
            ("Forbearance", "your payments reduced or suspended for a few months while you recover"),
            ("Repayment plan", "the past-due amount spread over several months on top of your regular payment"),
            ("Loan modification", "a new rate or term, with the past-due amount added to the balance"),
        ],
        "hud_url": settings.LENDING_HUD_COUNSELOR_URL,
        "hud_phone": settings.LENDING_HUD_COUNSELOR_PHONE,
    }


@transaction.atomic
def early_intervention_letter_make(*, notice_id: int, actor: User | None) -> BorrowerDocument | None:
    """Render and store the letter of notice ``notice_id`` (once: a retried task returns the stored one)."""
    notice = (
        EarlyInterventionNotice.objects.select_for_update(of=("self",))
        .select_related("loan", "loan__borrower")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        return None
    if notice.document_id is not None:
        return notice.document
    loan = notice.loan
    context = letter_context(
        loan,
        borrower_name=borrower_display_name(loan),
        payment_address=settings.LENDING_PAYMENT_ADDRESS,
        notice=notice,
        **options_context(),
    )
    document = document_store(
        loan=loan,
        kind=BorrowerDocument.Kind.EARLY_INTERVENTION,
        key=str(notice.pk),
        title="Help is available: options to avoid foreclosure",
        document_date=notice.sent_on,
        pdf=pdf_render("pdf/borrower/early_intervention.html", context),
        actor=actor,
    )
    notice.document = document
    notice.save(update_fields=["document"])
    return document
