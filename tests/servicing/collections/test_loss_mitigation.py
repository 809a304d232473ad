"""Loss mitigation, Reg X 1024.41: receipt, the acknowledgment due in 5 days excluding legal public holidays,
Saturdays and Sundays, the letter saying what is missing and by when, completion, the evaluation due in 30 days, the
decision letter with the appeal rights, and the foreclosure referral refused before day 121 and while a complete
application is pending.

The loan (tests.servicing.collections.helpers) is delinquent since its January 1 2027 payment (day 0).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import BorrowerDocument, ForeclosureReferral, LossMitigationDocument
from servicing.services import foreclosure_referral as fr
from servicing.services import loss_mitigation as lm
from servicing.services.loss_mitigation import LossMitigationError
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.test_notices import pdf_text

pytestmark = pytest.mark.django_db
Kind = LossMitigationDocument.Kind
PDF = b"%PDF-1.4\n%%EOF\n"


def pdf_file(name: str = "paper.pdf", body: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + body, content_type="application/pdf")


@pytest.fixture
def today(monkeypatch):
    """Set the services' today: ``today(date)``."""

    def set_today(day: date) -> None:
        for module in (lm, fr):
            monkeypatch.setattr(module, "_today", lambda: day)

    return set_today


@pytest.fixture
def collector():
    return user_with_role(roles.COLLECTOR)


def _add(actor, application, kind, n):
    return lm.loss_mitigation_document_add(
        actor=actor, application=application, kind=kind, uploaded_file=pdf_file(body=str(n).encode())
    )


# --- the timeline, by hand ---------------------------------------------------------------------------------------


def test_the_acknowledgment_is_due_in_five_days_excluding_weekends_and_holidays():
    # Thu Feb 11 2027: Fri 12 (1); Sat 13, Sun 14, Mon 15 (Washington's Birthday) skipped; 16, 17, 18, Fri 19 (5).
    assert lm.acknowledge_due(date(2027, 2, 11)) == date(2027, 2, 19)
    # Wed Nov 25 2026: Thu 26 Thanksgiving; Fri 27 (1); weekend; Mon 30 (2), Dec 1, 2, Thu Dec 3 (5).
    assert lm.acknowledge_due(date(2026, 11, 25)) == date(2026, 12, 3)
    # Mon Feb 8 2027, a plain week: Tue 9 .. Fri 12 (4), Mon 15 is the holiday, Tue Feb 16 (5).
    assert lm.acknowledge_due(date(2027, 2, 8)) == date(2027, 2, 16)


def test_the_evaluation_is_due_thirty_calendar_days_after_completion():
    # 41(c)(1) counts days, not business days: Jan 29 2027 + 30 = Feb 28 2027, a Sunday, and it stays there.
    assert lm.evaluate_due(date(2027, 1, 29)) == date(2027, 2, 28)
    # Across Washington's Birthday: Feb 12 + 30 = Mar 14 (Feb has 28 days: Feb 12 + 16 = Feb 28, + 14).
    assert lm.evaluate_due(date(2027, 2, 12)) == date(2027, 3, 14)


def test_the_date_to_complete_an_application_by():
    # 30 days from the notice (Feb 16 + 30 = Mar 18) when day 120 (Jan 1 + 120 = May 1) is later.
    assert lm.submit_by_date(date(2027, 2, 16), date(2027, 1, 1)) == date(2027, 3, 18)
    # Day 120 first: delinquent since Nov 1 2026, day 120 is Mar 1 2027 (30 + 31 + 31 + 28 = 120).
    assert lm.submit_by_date(date(2027, 2, 16), date(2026, 11, 1)) == date(2027, 3, 1)
    # Never under 7 days: day 120 on Feb 17 (Oct 20 2026 + 120) gives way to Feb 16 + 7 = Feb 23.
    assert lm.submit_by_date(date(2027, 2, 16), date(2026, 10, 20)) == date(2027, 2, 23)
    assert lm.submit_by_date(date(2027, 2, 16), None) == date(2027, 3, 18)


# --- an application from receipt to decision ---------------------------------------------------------------------


def test_receive_acknowledge_complete_and_deny(today, collector):
    loan = delinquent_loan()
    today(date(2027, 2, 11))
    app = lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 2, 11))
    assert (app.status, app.acknowledge_by) == ("received", date(2027, 2, 19))
    assert lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 2, 11)) == app  # again
    _add(collector, app, Kind.APPLICATION_FORM, 1)
    _add(collector, app, Kind.HARDSHIP, 2)

    today(date(2027, 2, 16))
    app = lm.loss_mitigation_acknowledge(actor=collector, application=app)
    assert (app.status, app.acknowledged_on, app.submit_by, app.missing) == (
        "incomplete",
        date(2027, 2, 16),
        date(2027, 3, 18),
        ["income", "tax_returns", "bank_statements"],
    )
    text = pdf_text(app.acknowledgment)
    assert "Your application is not complete." in text
    assert "please send us the following by March 18, 2027:" in text
    assert "Proof of income (two recent pay stubs)" in text
    assert "Two months' bank statements" in text
    again = lm.loss_mitigation_acknowledge(actor=collector, application=app)
    assert again.acknowledgment == app.acknowledgment
    assert BorrowerDocument.objects.filter(loan=loan, kind="loss_mit_ack").count() == 1

    with pytest.raises(LossMitigationError, match=r"^Still missing: Proof of income \(two recent pay stubs\), Two"):
        lm.loss_mitigation_complete(actor=collector, application=app)
    for n, kind in enumerate((Kind.INCOME, Kind.TAX_RETURNS, Kind.BANK_STATEMENTS), start=3):
        _add(collector, app, kind, n)
    today(date(2027, 3, 1))
    app = lm.loss_mitigation_complete(actor=collector, application=app)
    assert (app.status, app.completed_on, app.evaluate_by) == ("complete", date(2027, 3, 1), date(2027, 3, 31))

    with pytest.raises(LossMitigationError) as refused:
        lm.loss_mitigation_decide(actor=collector, application=app, approved=False, reasons="  ")
    assert refused.value.field == "reasons"
    today(date(2027, 3, 10))
    app = lm.loss_mitigation_decide(
        actor=collector, application=app, approved=False, reasons="Income does not support any modified payment."
    )
    assert (app.status, app.decided_on, app.appeal_by) == ("denied", date(2027, 3, 10), date(2027, 3, 24))
    text = pdf_text(app.decision_letter)
    assert "We are unable to offer you a loss mitigation option." in text
    assert "Income does not support any modified payment." in text
    assert "You may appeal our decision by writing to us by March 24, 2027 (14 days from this letter)" in text
    assert list(
        AuditEvent.objects.filter(target_id=str(loan.pk), verb__startswith="loan.loss_mitigation")
        .order_by("pk")
        .values_list("verb", flat=True)
    ) == [
        "loan.loss_mitigation_received",
        *["loan.loss_mitigation_document"] * 2,
        "loan.loss_mitigation_acknowledged",
        *["loan.loss_mitigation_document"] * 3,
        "loan.loss_mitigation_complete",
        "loan.loss_mitigation_decided",
    ]


def test_a_complete_application_is_acknowledged_as_complete_and_approved(today, collector):
    loan = delinquent_loan()
    today(date(2027, 2, 11))
    app = lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 2, 11))
    for n, kind in enumerate(LossMitigationDocument.REQUIRED):
        _add(collector, app, kind, n)
    today(date(2027, 2, 22))  # Monday, a business day after the Feb 19 deadline: late, and recorded as such
    app = lm.loss_mitigation_acknowledge(actor=collector, application=app)
    assert (app.status, app.completed_on, app.evaluate_by, app.submit_by) == (
        "complete",
        date(2027, 2, 22),
        date(2027, 3, 24),
        None,
    )
    assert AuditEvent.objects.get(verb="loan.loss_mitigation_acknowledged").after["late"] is True
    assert (
        "We will evaluate you for every option available to you and write to you with our decision by March 24, 2027."
        in pdf_text(app.acknowledgment)
    )
    with pytest.raises(LossMitigationError) as refused:
        lm.loss_mitigation_decide(actor=collector, application=app, approved=True, option="")
    assert refused.value.field == "option"
    app = lm.loss_mitigation_decide(actor=collector, application=app, approved=True, option="repayment")
    assert (app.status, app.option, app.appeal_by) == ("approved", "repayment", date(2027, 3, 8))
    text = pdf_text(app.decision_letter)
    assert "You are approved for: Repayment plan." in text
    assert "We did not offer you a loan modification. You may appeal that decision" in text
    # Decided: no more documents, no second decision letter.
    with pytest.raises(LossMitigationError, match=r"^The application is decided: it takes no new documents\.$"):
        _add(collector, app, Kind.OTHER, 9)
    assert lm.loss_mitigation_decide(actor=collector, application=app, approved=False, reasons="x").status == "approved"


def test_bad_uploads_and_a_second_open_application_are_refused(today, collector):
    loan = delinquent_loan()
    today(date(2027, 2, 11))
    app = lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 2, 10))
    with pytest.raises(LossMitigationError) as refused:
        lm.loss_mitigation_document_add(
            actor=collector, application=app, kind=Kind.INCOME, uploaded_file=SimpleUploadedFile("a.pdf", b"hello")
        )
    assert refused.value.field == "file"
    assert str(refused.value).startswith("This file is not a PDF, PNG, JPEG, TIFF or HEIC file")
    _add(collector, app, Kind.INCOME, 1)
    with pytest.raises(LossMitigationError, match=r"^This file is already on the application\.$"):
        _add(collector, app, Kind.TAX_RETURNS, 1)
    assert LossMitigationDocument.objects.filter(application=app).count() == 1
    with pytest.raises(LossMitigationError, match=r"already has an open application \(received Feb 10, 2027\)"):
        lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 2, 11))
    with pytest.raises(LossMitigationError) as future:
        lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 2, 12))
    assert future.value.field == "received_on"


def test_only_collectors_and_managers_work_applications(today):
    loan = delinquent_loan()
    today(date(2027, 2, 11))
    for role in (roles.SERVICER, roles.BORROWER, roles.LOAN_OFFICER):
        with pytest.raises(LossMitigationError, match=r"^Only a collector or a manager may do this\.$"):
            lm.loss_mitigation_receive(actor=user_with_role(role), loan=loan, received_on=date(2027, 2, 11))
    manager = user_with_role(roles.MANAGER)
    assert lm.loss_mitigation_receive(actor=manager, loan=loan, received_on=date(2027, 2, 11)).received_by == manager


# --- foreclosure referral ----------------------------------------------------------------------------------------


def test_no_referral_until_more_than_120_days_delinquent(today):
    loan = delinquent_loan()
    manager = user_with_role(roles.MANAGER)
    today(date(2027, 5, 2))
    # Day 120 is May 1 (Jan 1 + 31 + 28 + 31 + 30 = Jan 1 + 120): refused; day 121, May 2: allowed.
    with pytest.raises(LossMitigationError) as refused:
        fr.foreclosure_refer(actor=manager, loan=loan, referred_on=date(2027, 5, 1), attorney="Hale & Co")
    assert str(refused.value) == (
        "The loan is 120 days delinquent on May 01, 2027: a foreclosure referral needs more than 120 days of "
        "delinquency (Reg X 1024.41(f)(1)). It will be allowed from May 02, 2027 (day 121) if the loan is still "
        "delinquent."
    )
    assert not ForeclosureReferral.objects.exists()
    with pytest.raises(LossMitigationError, match=r"^Only a manager may refer a loan to foreclosure\.$"):
        fr.foreclosure_refer(
            actor=user_with_role(roles.COLLECTOR), loan=loan, referred_on=date(2027, 5, 2), attorney="Hale & Co"
        )
    referral = fr.foreclosure_refer(actor=manager, loan=loan, referred_on=date(2027, 5, 2), attorney="Hale & Co")
    assert (referral.referred_on, referral.attorney, referral.days_past_due) == (date(2027, 5, 2), "Hale & Co", 121)
    assert fr.foreclosure_refer(actor=manager, loan=loan, referred_on=date(2027, 5, 2), attorney="Other") == referral
    assert AuditEvent.objects.filter(verb="loan.foreclosure_referred", target_id=str(loan.pk)).count() == 1


def test_no_referral_while_a_complete_application_is_pending_or_open_to_appeal(today, collector):
    loan = delinquent_loan()
    manager = user_with_role(roles.MANAGER)
    today(date(2027, 4, 26))
    app = lm.loss_mitigation_receive(actor=collector, loan=loan, received_on=date(2027, 4, 26))
    for n, kind in enumerate(LossMitigationDocument.REQUIRED):
        _add(collector, app, kind, n)
    app = lm.loss_mitigation_complete(actor=collector, application=app)  # evaluate by May 26
    today(date(2027, 5, 3))
    with pytest.raises(LossMitigationError) as refused:
        fr.foreclosure_refer(actor=manager, loan=loan, referred_on=date(2027, 5, 3), attorney="Hale & Co")
    assert str(refused.value) == (
        "A complete loss mitigation application (received Apr 26, 2027) is under evaluation, due by May 26, 2027: "
        "no referral until it is decided and its 14-day appeal period has ended (Reg X 1024.41(f)(2))."
    )
    app = lm.loss_mitigation_decide(actor=collector, application=app, approved=False, reasons="No income.")
    today(date(2027, 5, 17))  # appeal by May 3 + 14 = May 17
    with pytest.raises(LossMitigationError, match=r"through May 17, 2027 .* allowed from May 18, 2027"):
        fr.foreclosure_refer(actor=manager, loan=loan, referred_on=date(2027, 5, 17), attorney="Hale & Co")
    today(date(2027, 5, 18))
    assert (
        fr.foreclosure_refer(
            actor=manager, loan=loan, referred_on=date(2027, 5, 18), attorney="Hale & Co"
        ).days_past_due
        == (date(2027, 5, 18) - date(2027, 1, 1)).days
    )  # 137
