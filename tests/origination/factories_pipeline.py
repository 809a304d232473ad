"""A constructed January 2027 pipeline (applications with their transition logs and fundings) for the pipeline
report's tests: origination's selectors and crm's report page read the same one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from lending.core import roles
from origination.models import Application, ApplicationStay, Funding, TransitionLog
from origination.services.workflow import stay_record
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, LoanProductFactory

D = Decimal


def _at(day: int, hour: int = 0, month: int = 1) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=UTC)


def _application(officer, status, amount, created, applied, stays, funded_on=None, product=None):
    """An application created at ``created``, taken on ``applied``, that went through ``stays``: (state it moved
    to, when), starting from draft."""
    application = ApplicationFactory(
        loan_officer=officer,
        amount_requested=D(amount),
        created_at=created,
        application_date=applied,
        **({"product": product} if product else {}),
    )
    Application.objects.filter(pk=application.pk).update(status=status)
    state, entered = "draft", created
    for to_state, when in stays:
        step = TransitionLog.objects.create(
            application=application,
            transition=to_state,
            from_status=state,
            to_status=to_state,
            created_at=when,
            entered_at=entered,
        )
        stay_record(step)  # as the workflow does
        state, entered = to_state, when
    if funded_on:
        Funding.objects.create(
            application=application,
            loan_amount=D(amount),
            disbursed_amount=D(amount),
            funded_on=funded_on,
            funded_by=user_with_role(roles.CLOSER),
        )
    return application


def pipeline_team():
    return (
        user_with_role(roles.LOAN_OFFICER, first_name="Ann", last_name="Lee"),
        user_with_role(roles.LOAN_OFFICER, first_name="Bob", last_name="Ray"),
    )


def january_pipeline(team):
    """A1 Ann funded: draft 1 day, submitted 1, processing 3, underwriting 2, approved 10; taken Jan 5, funded
    Jan 21 (16 days). A2 Ann funded: draft 0.5, submitted 2, processing 1, underwriting 4, approved 13; taken Jan 10,
    funded Feb 1 (22 days). A3 Bob denied from underwriting: draft 1, submitted 1, processing 6, underwriting 5.
    A4 Bob withdrawn from processing: draft 1, submitted 1, processing 2. A5 unassigned, in processing (another
    product): draft 2, submitted 1. Not counted: A6 taken in December, A7 a draft never taken."""
    ann, bob = team
    product = LoanProductFactory(code="p-main")
    a1_stays = [("submitted", _at(5)), ("processing", _at(6)), ("underwriting", _at(9)), ("approved", _at(11))]
    _application(
        ann, "funded", "300000", _at(4), date(2027, 1, 5), [*a1_stays, ("funded", _at(21))], date(2027, 1, 21), product
    )
    a2_stays = [("submitted", _at(10, 12)), ("processing", _at(12, 12)), ("underwriting", _at(13, 12))]
    _application(
        ann,
        "funded",
        "200000",
        _at(10),
        date(2027, 1, 10),
        [*a2_stays, ("approved", _at(17, 12)), ("funded", _at(30, 12))],
        date(2027, 2, 1),
        product,
    )
    a3_stays = [("submitted", _at(13)), ("processing", _at(14)), ("underwriting", _at(20)), ("denied", _at(25))]
    _application(bob, "denied", "250000", _at(12), date(2027, 1, 13), a3_stays, product=product)
    a4_stays = [("submitted", _at(16)), ("processing", _at(17)), ("withdrawn", _at(19))]
    _application(bob, "withdrawn", "100000", _at(15), date(2027, 1, 16), a4_stays, product=product)
    other = LoanProductFactory(code="p-other")
    _application(
        None,
        "processing",
        "150000",
        _at(20),
        date(2027, 1, 22),
        [("submitted", _at(22)), ("processing", _at(23))],
        product=other,
    )
    december = datetime(2026, 12, 20, tzinfo=UTC)
    _application(
        ann, "funded", "90000", december, date(2026, 12, 20), [("submitted", december)], date(2027, 1, 3), product
    )
    _application(ann, "draft", "80000", _at(3), None, [], product=product)
    return product, other


def stays_from_steps() -> list[tuple[int, int, str, int]]:
    """What each step with a known start says of the stay it ended: (step, application, state, microseconds)."""
    steps = TransitionLog.objects.filter(entered_at__isnull=False).order_by("pk")
    return [
        (step.pk, step.application_id, step.from_status, (step.created_at - entered) // timedelta(microseconds=1))
        for step in steps
        if (entered := step.entered_at) is not None  # the query's filter, said to mypy
    ]


def stays() -> list[tuple[int, int, str, int]]:
    return list(ApplicationStay.objects.order_by("pk").values_list("pk", "application_id", "state", "length_us"))
