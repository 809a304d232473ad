"""Close-of-business demo data for `manage.py seed_demo`: loans that fell behind, and three nights run on them.

Five mortgages arrive from a servicing transfer already late, one in each delinquency bucket (1-29, 30-59, 60-89,
90-119 and 120+ days past due as of the last business day that has ended). Bob's, the 1-29 one, reaches the end of
its grace period on that day, so the last night charges its late fee; Bob also scheduled a one-time bank payment
from an account the sandbox processor returns (R01, insufficient funds), which settles and comes back on the
second night. Then the close of business runs through the runner, as the nightly job would, for the last three
business days: the jobs page shows three completed runs, and the loans show their accrued interest, billing,
buckets, the late fee, the return and the escrow step's work: a current escrowed mortgage (``DEMO-CUR-001``) has a
property tax instalment due on the last night, added as a servicer adds one (``escrow_item_save``), paid with an
escrow advance, and its first escrow analysis brought forward to that night. Every loan then has a periodic
statement in the portal (``statements_demo_seed``). The late loans are the demo collector's to work, one with a
logged call and an open promise to pay (``collections_demo_seed``); one is in forbearance and one in a loan
modification's trial period (``plans_demo_seed``). The nights send the early intervention notices of the
loans 40 or more days late, and ``DEMO-DQ-120`` has a loss mitigation application received on the last night
with two of its documents, acknowledged as incomplete (``loss_mitigation_demo_seed``).
One more, 200 days late, is charged off with a recovery (``charge_off_demo_seed``).

A transferred mortgage with a completed year of payments (``DEMO1098-001``, Bob's) came to us in the December before
last year and was paid on every due date since: ``manage.py year_end`` for last year (run here through its service)
gives it a Form 1098 in the portal.

The demo's dates all follow from the day it is seeded, so every journey works on any weekday. Idempotent: a date
already run is not run again and a loan number already boarded is left alone.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lending.core.calendar import previous_business_day
from lending.core.models import User
from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.daycount import add_months
from origination.demo import _clock
from servicing.demo_month_end import MONTHS, month_end_demo_seed
from servicing.models import (
    ContactAttempt,
    EscrowItem,
    Forbearance,
    Installment,
    LoanAccount,
    LoanModification,
    LossMitigationApplication,
    LossMitigationDocument,
    NightlyRun,
    PendingPayment,
)
from servicing.selectors.statements import statement_due_date
from servicing.services.ach import BankDetails, ach_payment_schedule
from servicing.services.charge_off import loan_charge_off, recovery_post
from servicing.services.collections import contact_log, promise_make
from servicing.services.escrow import escrow_item_save
from servicing.services.loss_mitigation import (
    loss_mitigation_acknowledge,
    loss_mitigation_document_add,
    loss_mitigation_receive,
)
from servicing.services.modification import modification_approve, modification_propose
from servicing.services.nightly.runner import last_closable_date, nightly_run
from servicing.services.nightly.steps.delinquency import loans_age
from servicing.services.payments import payment_post
from servicing.services.plans import forbearance_create
from servicing.services.statements import statements_make
from servicing.services.transfer_boarding import TransferLoan, loan_board_transfer
from servicing.services.year_end import year_end_run

NIGHTS = 3
# (loan number, days past due on the last night, borrower email): one loan per bucket.
LATE_LOANS = (
    ("DEMO-DQ-001", 16, "bob@example.com"),
    ("DEMO-DQ-030", 45, ""),
    ("DEMO-DQ-060", 75, ""),
    ("DEMO-DQ-090", 105, ""),
    ("DEMO-DQ-120", 150, ""),
)
NOTE = Decimal("240000.00")
RATE = Decimal("6.7500")
PAYMENTS_MADE = 18
# The current escrowed loan: a tax bill due on the last night (paid with an advance) and its first analysis then.
ESCROW_LOAN = "DEMO-CUR-001"
ESCROW_NOTE = Decimal("320000.00")
ESCROW_RATE = Decimal("6.2500")
PROPERTY_TAX = Decimal("4860.00")  # a year, in two instalments
INSURANCE = Decimal("1740.00")
# Bob's mortgage paid through a whole calendar year (last year), for its Form 1098.
YEAR_END_LOAN = "DEMO1098-001"
RETURNED_ACCOUNT = BankDetails("Bob Borrower", "011000015", "000987650001")  # ends 0001: the sandbox returns R01


def demo_nights(today: date) -> list[date]:
    """The last ``NIGHTS`` business days that have ended before ``today``, oldest first."""
    nights = [last_closable_date(today)]
    while len(nights) < NIGHTS:
        nights.insert(0, previous_business_day(nights[0] - timedelta(days=1)))
    return nights


def nightly_demo_seed(*, today: date, actor: User | None, stdout) -> list[date]:
    """Board the late loans, schedule the returned payment, run the nights not yet run; the nights."""
    nights = demo_nights(today)
    last = nights[-1]
    boarded = [_board_late_loan(number, days, email, last, actor) for number, days, email in LATE_LOANS]
    _schedule_returned_payment(nights[0], actor)
    boarded.append(escrow_demo_seed(last_night=last, actor=actor) is not None)
    boarded.append(year_end_demo_seed(today=today, actor=actor) is not None)  # before the nights: paid up to date
    boarded.append(charge_off_demo_seed(last_night=last) is not None)  # before the nights: they skip it
    taped = month_end_demo_seed(first_night=nights[0])  # before the nights: a month they close follows on from it
    ran = []
    for night in nights:
        if NightlyRun.objects.filter(business_date=night).exists():
            continue
        run = nightly_run(business_date=night, actor=None, trigger=NightlyRun.Trigger.COMMAND, today=today)
        ran.append(f"{night:%a %b} {night.day} ({run.get_status_display().lower()})")
    new = sum(boarded)
    made = statements_demo_seed(last_night=last, actor=actor)
    worked = collections_demo_seed(today=today, last_night=last)
    mitigated = loss_mitigation_demo_seed(last_night=last)
    planned = plans_demo_seed()
    stdout.write(
        "Nightly demo: "
        + (f"{new} transferred loans boarded; " if new else "")
        + (f"close of business run for {', '.join(ran)}." if ran else "nothing to run (the demo nights are done).")
        + (f" {made} periodic statements made." if made else "")
        + (" The late loans are assigned to the demo collector, with a call and a promise." if worked else "")
        + (" A loss mitigation application is acknowledged on DEMO-DQ-120." if mitigated else "")
        + (f" {FORBEARANCE_LOAN} is in forbearance and {MODIFICATION_LOAN} in a modification trial." if planned else "")
    )
    if taped:
        stdout.write(f"Month-end tape demo: {taped} loan rows over the last {MONTHS} closed months.")
    return nights


def statements_demo_seed(*, last_night: date, actor: User | None) -> int:
    """A periodic statement for every active loan that has none yet (the demo's funded, late and escrowed
    loans), made as of the last demo night as the statements step makes them. A loan whose next statement date
    is still ahead gets the statement of its current cycle (its latest installment due by then); a new loan with
    no installment due yet gets its first one early. Returns how many were made; a second run makes none."""
    loans = list(LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE, statements__isnull=True).order_by("pk"))
    if not loans:
        return 0
    latest = dict(
        Installment.objects.filter(loan__in=loans, due_date__lte=last_night)
        .values_list("loan_id")
        .annotate(latest=Max("due_date"))
        .order_by()
    )
    due_dates = {}
    for loan in loans:
        due = statement_due_date(loan)
        ahead = due - timedelta(days=loan.statement_days_before_due) > last_night
        due_dates[loan.pk] = latest.get(loan.pk, due) if ahead else due
    made = statements_make(business_date=last_night, loan_ids=list(due_dates), actor=actor, due_dates=due_dates)
    return len(made)


def _due_date(last: date, days_late: int) -> date:
    """A due date about ``days_late`` days before ``last``, on a day every month has (1-28)."""
    due = last - timedelta(days=days_late)
    return due if due.day <= 28 else due.replace(day=28)


def _board_late_loan(number: str, days_late: int, email: str, last: date, actor: User | None) -> bool:
    if LoanAccount.objects.filter(loan_number=number).exists():
        return False
    next_due = _due_date(last, days_late)
    # The 1-29 loan's grace ends on the last night, so that night charges its late fee (others charged earlier).
    grace = (last - next_due).days - 1 if days_late < 30 else 15
    board_demo_mortgage(
        number=number,
        borrower_name="Bob Borrower" if email else f"Transferred borrower {number[-3:]}",
        borrower_email=email,
        note=NOTE,
        rate=RATE,
        payments_made=PAYMENTS_MADE,
        next_due=next_due,
        escrow=(Decimal("1800.00"), Decimal("450.00")),
        grace_days=grace,
        actor=actor,
    )
    return True


def board_demo_mortgage(
    *,
    number: str,
    borrower_name: str,
    borrower_email: str = "",
    note: Decimal,
    rate: Decimal,
    payments_made: int,
    next_due: date,
    escrow: tuple[Decimal, Decimal],
    grace_days: int = 15,
    actor: User | None,
) -> LoanAccount:
    """A 30-year mortgage from a servicing transfer, ``payments_made`` payments in, next due on ``next_due``, with
    ``escrow`` = (balance, monthly payment), boarded as the transfer import boards one, with its property (an
    Illinois address numbered after the loan, so each demo loan has its own)."""
    first_payment = add_months(next_due, -payments_made)
    disbursed = add_months(first_payment, -1)
    terms = LoanTerms(
        principal=note,
        annual_rate=rate,
        term_periods=360,
        disbursement_date=disbursed,
        first_payment_date=first_payment,
        frequency="monthly",
        amortization="level",
        day_count="30/360",
    )
    return loan_board_transfer(
        actor=actor,
        loan=TransferLoan(
            loan_number=number,
            borrower_name=borrower_name,
            borrower_email=borrower_email,
            principal=note,
            annual_rate=rate,
            term_periods=360,
            payment_frequency="monthly",
            amortization="level",
            day_count="30/360",
            disbursement_date=disbursed,
            first_payment_date=first_payment,
            current_principal_balance=build_schedule(terms).balance_after(payments_made),
            next_due_date=next_due,
            escrow_balance=escrow[0],
            escrow_monthly_payment=escrow[1],
            late_fee_percent=Decimal("5.0000"),
            grace_days=grace_days,
            allocation_strategy="mortgage_standard",
            property_address_line1=f"{100 + sum(map(ord, number)) % 900} Prairie Avenue",
            property_city="Springfield",
            property_state="IL",
            property_postal_code="62704",
        ),
    )


def _schedule_returned_payment(first_night: date, actor: User | None) -> None:
    """Bob's one-time payment, scheduled on the first night from an account the sandbox returns."""
    loan = LoanAccount.objects.filter(loan_number=LATE_LOANS[0][0]).first()
    key = f"demo:{LATE_LOANS[0][0]}:returned-ach"
    if loan is None or loan.borrower is None or PendingPayment.objects.filter(idempotency_key=key).exists():
        return
    morning = timezone.make_aware(datetime.combine(first_night, time(9, 0)))
    with _clock(morning):
        ach_payment_schedule(
            loan=loan,
            amount=loan.regular_payment + loan.escrow_monthly_payment,
            scheduled_date=first_night,
            principal_only=False,
            bank=RETURNED_ACCOUNT,
            actor=loan.borrower,
            idempotency_key=key,
        )


def escrow_demo_seed(*, last_night: date, actor: User | None) -> LoanAccount | None:
    """Board the current escrowed loan with its bills due; None when it is already there."""
    if LoanAccount.objects.filter(loan_number=ESCROW_LOAN).exists():
        return None
    with transaction.atomic():
        loan = board_demo_mortgage(
            number=ESCROW_LOAN,
            borrower_name="Dana Homeowner",
            note=ESCROW_NOTE,
            rate=ESCROW_RATE,
            payments_made=11,
            next_due=_due_date(last_night + timedelta(days=10), 0),
            escrow=(Decimal("2150.00"), Decimal("550.00")),
            actor=actor,
        )
        for kind, description, payee, amount, per_year, due in (
            (EscrowItem.Kind.PROPERTY_TAX, "County property tax", "County Treasurer", PROPERTY_TAX, 2, last_night),
            (
                EscrowItem.Kind.HAZARD_INSURANCE,
                "Homeowner's insurance premium",
                "Acme Mutual Insurance",
                INSURANCE,
                1,
                add_months(last_night, 5),
            ),
        ):
            escrow_item_save(
                actor=actor,
                item=EscrowItem(
                    loan=loan,
                    kind=kind,
                    description=description,
                    payee=payee,
                    annual_amount=amount,
                    payments_per_year=per_year,
                    next_due_date=due,
                ),
            )
        # Demo only: the first analysis (due a year after boarding) is brought forward so the demo shows one.
        LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=last_night)
    return loan


def year_end_demo_seed(*, today: date, actor: User | None) -> LoanAccount | None:
    """Bob's transferred mortgage, boarded with its first payment of last year next due and paid on every due date
    since (so it is current), and last year's Form 1098 made; None when it is already there."""
    if LoanAccount.objects.filter(loan_number=YEAR_END_LOAN).exists():
        return None
    year = today.year - 1
    with transaction.atomic():
        loan = board_demo_mortgage(
            number=YEAR_END_LOAN,
            borrower_name="Bob Borrower",
            borrower_email="bob@example.com",
            note=Decimal("180000.00"),
            rate=Decimal("6.0000"),
            payments_made=12,
            next_due=date(year, 1, 1),
            escrow=(Decimal("0.00"), Decimal("0.00")),
            actor=actor,
        )
        # Demo only: transferred to us in mid-December the year before, so last year's interest is ours to report.
        boarded = timezone.make_aware(datetime.combine(date(year - 1, 12, 15), time(9, 0)))
        LoanAccount.objects.filter(pk=loan.pk).update(boarded_at=boarded)
        for installment in Installment.objects.filter(loan=loan, due_date__lte=today).order_by("number"):
            payment_post(
                loan=loan,
                amount=installment.payment,
                effective_date=installment.due_date,
                method="ach",
                reference=f"DEMO-{YEAR_END_LOAN}-{installment.number}",
                idempotency_key=f"demo:{YEAR_END_LOAN}:{installment.number}",
                actor=actor,
            )
        year_end_run(year=year, actor=actor, today=today)
    return loan


COLLECTOR_EMAIL = "collector@lending.test"
COLLECTIONS_LOAN = "DEMO-DQ-060"  # the loan with a logged call and an open promise


def collections_demo_seed(*, today: date, last_night: date) -> bool:
    """Give the late demo loans (DEMO-DQ-*) to the demo collector, and on ``COLLECTIONS_LOAN`` log a call made at
    10 a.m. on the last night (the transferred loans have no property state: the servicer's time zone) and take a
    promise of one regular payment due in a week. False (nothing done) without the collector or once done."""
    collector = User.objects.filter(email=COLLECTOR_EMAIL, is_active=True).first()
    loan = LoanAccount.objects.filter(loan_number=COLLECTIONS_LOAN).first()
    if collector is None or loan is None or ContactAttempt.objects.filter(loan=loan).exists():
        return False
    with transaction.atomic():
        LoanAccount.objects.filter(loan_number__startswith="DEMO-DQ-", collector__isnull=True).update(
            collector=collector
        )
        contact_log(
            actor=collector,
            loan=loan,
            channel=ContactAttempt.Channel.CALL,
            outcome=ContactAttempt.Outcome.PROMISE,
            right_party_contact=True,
            note="Borrower lost hours at work; will pay one installment next week.",
            at=timezone.make_aware(datetime.combine(last_night, time(10, 0))),
        )
        promise_make(actor=collector, loan=loan, amount=loan.regular_payment, promised_date=today + timedelta(days=7))
    return True


LOSS_MITIGATION_LOAN = "DEMO-DQ-120"  # the loan with a loss mitigation application acknowledged


def _blank_pdf() -> bytes:
    """A one-page blank PDF: what a scanned document looks like to the upload checks."""
    from pypdf import PdfWriter  # only where the demo makes one

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=612, height=792)
    writer.write(out)
    return out.getvalue()


def loss_mitigation_demo_seed(*, last_night: date) -> bool:
    """On ``LOSS_MITIGATION_LOAN``: an application received on ``last_night`` with the signed form and the hardship
    letter, acknowledged by the demo collector as incomplete (the letter asks for the rest). False (nothing done)
    without the collector or once done."""
    collector = User.objects.filter(email=COLLECTOR_EMAIL, is_active=True).first()
    loan = LoanAccount.objects.filter(loan_number=LOSS_MITIGATION_LOAN).first()
    if collector is None or loan is None or LossMitigationApplication.objects.filter(loan=loan).exists():
        return False
    with transaction.atomic():
        application = loss_mitigation_receive(
            actor=collector, loan=loan, received_on=last_night, note="Borrower called after a job loss."
        )
        for kind in (LossMitigationDocument.Kind.APPLICATION_FORM, LossMitigationDocument.Kind.HARDSHIP):
            scan = SimpleUploadedFile(f"{kind}.pdf", _blank_pdf() + kind.encode(), content_type="application/pdf")
            loss_mitigation_document_add(actor=collector, application=application, kind=kind, uploaded_file=scan)
        loss_mitigation_acknowledge(actor=collector, application=application)
    return True


MANAGER_EMAIL = "manager@lending.test"
FORBEARANCE_LOAN = "DEMO-DQ-030"  # its next three payments suspended
MODIFICATION_LOAN = "DEMO-DQ-090"  # a modification approved: three trial payments due


def plans_demo_seed() -> bool:
    """Put ``FORBEARANCE_LOAN`` in a three-month forbearance (payments suspended) and ``MODIFICATION_LOAN`` in a
    modification's trial (the rate 1.5 points lower, 360 installments; proposed by the demo collector, approved
    by the demo manager, so its agreement is in the portal). False (nothing done) without them or once done."""
    collector = User.objects.filter(email=COLLECTOR_EMAIL, is_active=True).first()
    manager = User.objects.filter(email=MANAGER_EMAIL, is_active=True).first()
    loans = {
        loan.loan_number: loan
        for loan in LoanAccount.objects.filter(loan_number__in=(FORBEARANCE_LOAN, MODIFICATION_LOAN))
    }
    if collector is None or manager is None or len(loans) < 2:
        return False
    if (
        Forbearance.objects.filter(loan__in=loans.values()).exists()
        or LoanModification.objects.filter(loan__in=loans.values()).exists()
    ):
        return False
    with transaction.atomic():
        forbearance_create(actor=collector, loan=loans[FORBEARANCE_LOAN], months=3, reduced_payment=Decimal("0"))
        loan = loans[MODIFICATION_LOAN]
        proposal = modification_propose(
            actor=collector,
            loan=loan,
            new_rate=max(loan.annual_rate - Decimal("1.5"), Decimal("0")),
            term_periods=360,
            note="Hardship: reduced income; a lower payment is affordable.",
        )
        modification_approve(actor=manager, modification=proposal)
    return True


CHARGED_OFF_LOAN = "DEMOCO-001"  # not "DEMO-": charged off, it is in no bucket


def charge_off_demo_seed(*, last_night: date) -> LoanAccount | None:
    """A mortgage 200 days late, aged and charged off by the demo manager on the last night, with a $1,500.00
    recovery received that day. None (nothing done) without the manager or once done."""
    manager = User.objects.filter(email=MANAGER_EMAIL, is_active=True).first()
    if manager is None or LoanAccount.objects.filter(loan_number=CHARGED_OFF_LOAN).exists():
        return None
    with transaction.atomic():
        loan = board_demo_mortgage(
            number=CHARGED_OFF_LOAN,
            borrower_name="Transferred borrower CO1",
            note=NOTE,
            rate=RATE,
            payments_made=PAYMENTS_MADE,
            next_due=_due_date(last_night, 200),
            escrow=(Decimal("0.00"), Decimal("450.00")),
            actor=manager,
        )
        loans_age(business_date=last_night, loan_ids=[loan.pk], actor=None)
        loan_charge_off(actor=manager, loan=loan, reason="Borrower unreachable; property abandoned.", as_of=last_night)
        recovery_post(
            actor=manager,
            loan=loan,
            amount=Decimal("1500.00"),
            received_on=last_night,
            method="check",
            reference="Recovery check 1001",
            idempotency_key=f"demo-recovery-{loan.pk}",
        )
    return loan
