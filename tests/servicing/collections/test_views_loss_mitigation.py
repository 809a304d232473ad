"""The early intervention and loss mitigation section of the collections pages: who may act (collectors and
managers; the referral, managers only), another loan's objects are 404, form errors re-render with 400 (never a
500), the deadlines show as due / done / late on the loan's page and the queue, and constant query counts.

The loan is delinquent since its January 1 2027 payment: day 36 is Feb 6, day 45 Feb 15 (test_early_intervention).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from servicing.models import (
    ContactAttempt,
    EarlyInterventionNotice,
    ForeclosureReferral,
    LoanAccount,
    LossMitigationApplication,
    LossMitigationDocument,
)
from servicing.selectors import loss_mitigation as lm_selectors
from servicing.services import collections
from servicing.services import foreclosure_referral as fr
from servicing.services import loss_mitigation as lm
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.collections.test_loss_mitigation import PDF, pdf_file

pytestmark = pytest.mark.django_db
TODAY = date(2027, 2, 16)


@pytest.fixture
def today(monkeypatch):
    def set_today(day: date) -> None:
        for module in (lm, fr, lm_selectors, collections):
            monkeypatch.setattr(module, "_today", lambda: day)

    set_today(TODAY)
    return set_today


@pytest.fixture
def loan():
    return delinquent_loan()


def _app(loan, received_on=date(2027, 2, 11)):
    return lm.loss_mitigation_receive(actor=user_with_role(roles.COLLECTOR), loan=loan, received_on=received_on)


def _doc(app, kind="income", n=0):
    return lm.loss_mitigation_document_add(
        actor=user_with_role(roles.COLLECTOR), application=app, kind=kind, uploaded_file=pdf_file(body=bytes([n]))
    )


def _posts(loan, app) -> list[str]:
    return [
        reverse("collections:lm-receive", args=[loan.pk]),
        reverse("collections:lm-document-add", args=[loan.pk, app.pk]),
        reverse("collections:lm-acknowledge", args=[loan.pk, app.pk]),
        reverse("collections:lm-complete", args=[loan.pk, app.pk]),
        reverse("collections:lm-decide", args=[loan.pk, app.pk]),
    ]


def _page(client, loan) -> str:
    response = client.get(reverse("collections:loan", args=[loan.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", [roles.SERVICER, roles.LOAN_OFFICER, roles.BORROWER])
def test_other_roles_get_403(client, loan, today, role):
    app = _app(loan)
    doc = _doc(app)
    client.force_login(user_with_role(role))
    for url in [*_posts(loan, app), reverse("collections:foreclosure-refer", args=[loan.pk])]:
        assert client.post(url).status_code == 403, url
    assert client.get(reverse("collections:lm-document", args=[loan.pk, doc.pk])).status_code == 403
    app.refresh_from_db()  # still as received: not acknowledged, completed or decided
    assert (app.status, app.acknowledged_on, app.completed_on, app.decided_on) == ("received", None, None, None)
    assert LossMitigationApplication.objects.filter(loan=loan).count() == 1
    assert LossMitigationDocument.objects.filter(application=app).count() == 1
    assert not ForeclosureReferral.objects.exists()


def test_only_a_manager_refers_to_foreclosure(client, loan, today):
    client.force_login(user_with_role(roles.COLLECTOR))
    url = reverse("collections:foreclosure-refer", args=[loan.pk])
    assert client.post(url, {"referred_on": "2027-02-16", "attorney": "Hale & Co"}).status_code == 403
    assert 'data-testid="referral-form"' not in _page(client, loan)
    assert not ForeclosureReferral.objects.exists()


def test_another_loans_application_and_document_are_404(client, loan, today):
    other = delinquent_loan()
    app = _app(other)
    doc = _doc(app)
    client.force_login(user_with_role(roles.MANAGER))
    for url in _posts(loan, app)[1:]:
        assert client.post(url).status_code == 404, url
    assert client.get(reverse("collections:lm-document", args=[loan.pk, doc.pk])).status_code == 404
    assert client.post(reverse("collections:lm-receive", args=[999999]), {}).status_code == 404
    assert client.post(reverse("collections:foreclosure-refer", args=[999999]), {}).status_code == 404
    assert LossMitigationApplication.objects.filter(loan=loan).count() == 0


def test_an_application_through_the_page(client, loan, today):
    client.force_login(user_with_role(roles.COLLECTOR))
    response = client.post(reverse("collections:lm-receive", args=[loan.pk]), {"received_on": "2027-02-11"})
    assert response.status_code == 302
    app = LossMitigationApplication.objects.get(loan=loan)
    page = _page(client, loan)
    # Received Thu Feb 11: acknowledgment due Fri Feb 19 (Feb 15 is Washington's Birthday); due on Feb 16.
    assert 'Acknowledgment: <span class="badge text-bg-warning">due</span> by 2027-02-19</span>' in page
    assert 'data-testid="lm-receive-form"' not in page  # one open application at a time

    url = reverse("collections:lm-document-add", args=[loan.pk, app.pk])
    upload = SimpleUploadedFile("stubs.pdf", PDF + b"stubs", content_type="application/pdf")
    assert client.post(url, {"kind": "income", "file": upload}).status_code == 302
    doc = LossMitigationDocument.objects.get(application=app)
    download = client.get(reverse("collections:lm-document", args=[loan.pk, doc.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF + b"stubs"
    assert download["Content-Type"] == "application/pdf"

    assert client.post(reverse("collections:lm-acknowledge", args=[loan.pk, app.pk])).status_code == 302
    page = _page(client, loan)
    assert 'data-testid="lm-status">Incomplete</span>' in page
    assert 'Acknowledgment: <span class="badge text-bg-success">done</span> by 2027-02-19, done 2027-02-16' in page
    assert (
        'data-testid="lm-missing">Missing: Signed application form; Hardship letter; Two years&#x27; tax returns; '
        "Two months&#x27; bank statements</div>"
    ) in page
    assert 'Borrower&#x27;s documents: <span class="badge text-bg-secondary">asked</span> by 2027-03-18' in page

    response = client.post(reverse("collections:lm-complete", args=[loan.pk, app.pk]))
    assert response.status_code == 400
    assert "Still missing: Signed application form, Hardship letter, Two years&#x27; tax returns" in (
        response.content.decode()
    )
    for n, kind in enumerate(("application_form", "hardship", "tax_returns", "bank_statements"), start=1):
        _doc(app, kind, n)
    assert client.post(reverse("collections:lm-complete", args=[loan.pk, app.pk])).status_code == 302
    # Complete on Feb 16: evaluation due Feb 16 + 30 = Mar 18.
    assert 'Evaluation: <span class="badge text-bg-warning">due</span> by 2027-03-18</span>' in _page(client, loan)

    decide = reverse("collections:lm-decide", args=[loan.pk, app.pk])
    response = client.post(decide, {"decision": "deny", "reasons": ""})
    assert response.status_code == 400
    assert "State the specific reasons for the denial: the letter gives them." in response.content.decode()
    response = client.post(decide, {"decision": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice. maybe is not one of the available choices." in response.content.decode()
    today(date(2027, 3, 19))  # a day after the deadline
    assert client.post(decide, {"decision": "approve", "option": "modification"}).status_code == 302
    page = _page(client, loan)
    assert 'data-testid="lm-status">Approved</span> · Loan modification' in page
    assert 'Evaluation: <span class="badge text-bg-danger">late</span> by 2027-03-18, done 2027-03-19' in page
    assert 'data-testid="lm-appeal">Appeal (or acceptance) by 2027-04-02</div>' in page
    assert 'data-testid="lm-receive-form"' in page  # decided: another may be received
    # Decided: marking it complete again or adding a document are invalid transitions (400, nothing written).
    response = client.post(reverse("collections:lm-complete", args=[loan.pk, app.pk]))
    assert response.status_code == 400
    assert "The application is decided." in response.content.decode()
    upload = SimpleUploadedFile("late.pdf", PDF + b"late", content_type="application/pdf")
    response = client.post(url, {"kind": "other", "file": upload})
    assert response.status_code == 400
    assert "The application is decided: it takes no new documents." in response.content.decode()
    assert LossMitigationDocument.objects.filter(application=app).count() == 5
    # A repeated decision changes nothing: the same letter.
    letter = LossMitigationApplication.objects.get(pk=app.pk).decision_letter_id
    assert client.post(decide, {"decision": "deny", "reasons": "x"}).status_code == 302
    assert LossMitigationApplication.objects.get(pk=app.pk).decision_letter_id == letter


def test_form_errors_are_400_with_the_field(client, loan, today):
    client.force_login(user_with_role(roles.COLLECTOR))
    url = reverse("collections:lm-receive", args=[loan.pk])
    for bad, message in (
        ({"received_on": ""}, "Received on: This field is required."),
        ({"received_on": "2027-02-17"}, "Received on: The date received cannot be in the future."),
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
        assert message in response.content.decode(), bad
    app = _app(loan)
    add = reverse("collections:lm-document-add", args=[loan.pk, app.pk])
    response = client.post(add, {"kind": "income", "file": SimpleUploadedFile("x.pdf", b"not a pdf at all")})
    assert response.status_code == 400
    assert "File (PDF, PNG, JPEG, TIFF or HEIC): This file is not a PDF, PNG, JPEG, TIFF or HEIC file" in (
        response.content.decode()
    )
    response = client.post(add, {"kind": "income"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert LossMitigationDocument.objects.count() == 0
    # Deciding an application that is not complete is an invalid transition: 400.
    response = client.post(
        reverse("collections:lm-decide", args=[loan.pk, app.pk]), {"decision": "deny", "reasons": "x"}
    )
    assert response.status_code == 400
    assert "Only a complete application can be evaluated: mark it complete first." in response.content.decode()
    app.refresh_from_db()
    assert (app.status, app.decided_on, app.option) == ("received", None, "")
    assert list(LossMitigationApplication.objects.filter(loan=loan)) == [app]  # the bad receipts made none


def test_the_referral_says_why_and_when(client, loan, today):
    client.force_login(user_with_role(roles.MANAGER))
    page = _page(client, loan)
    # Feb 16 is day 46; allowed from day 121, May 2.
    assert (
        'data-testid="referral-block">Not allowed: The loan is 46 days delinquent on Feb 16, 2027: a foreclosure '
        "referral needs more than 120 days of delinquency (Reg X 1024.41(f)(1)). It will be allowed from "
        "May 02, 2027 (day 121) if the loan is still delinquent.</p>"
    ) in page
    url = reverse("collections:foreclosure-refer", args=[loan.pk])
    response = client.post(url, {"referred_on": "2027-02-16", "attorney": "Hale & Co"})
    assert response.status_code == 400
    assert "The loan is 46 days delinquent on Feb 16, 2027" in response.content.decode()
    assert not ForeclosureReferral.objects.exists()
    today(date(2027, 5, 2))
    assert 'data-testid="referral-form"' in _page(client, loan)
    response = client.post(url, {"referred_on": "2027-05-02", "attorney": ""})
    assert response.status_code == 400
    assert "Attorney or firm: This field is required." in response.content.decode()
    assert client.post(url, {"referred_on": "2027-05-02", "attorney": "Hale & Co"}).status_code == 302
    assert 'data-testid="referral">Referred to Hale &amp; Co on 2027-05-02 at 121 days delinquent' in _page(
        client, loan
    )
    referral = ForeclosureReferral.objects.get()
    assert (referral.loan, referral.referred_on, referral.attorney, referral.days_past_due) == (
        loan,
        date(2027, 5, 2),
        "Hale & Co",
        121,
    )


def _call(loan, day: date) -> None:
    ContactAttempt.objects.create(
        loan=loan,
        collector=user_with_role(roles.COLLECTOR),
        channel="call",
        outcome="no_answer",
        at=timezone.make_aware(datetime(day.year, day.month, day.day, 12)),
    )


def test_early_intervention_on_the_page_and_the_queue(client, loan, today):
    client.force_login(user_with_role(roles.COLLECTOR))
    # Feb 16, day 46: the first live contact (by Feb 6) and the notice (by Feb 15) are late; the contact owed for
    # the Feb 1 payment runs to Mar 9 (Feb 1 + 36).
    late = [
        'Live contact: <span class="badge text-bg-danger">late</span> by 2027-02-06 (payment due 2027-01-01)</span>',
        'Live contact: <span class="badge text-bg-warning">due</span> by 2027-03-09 (payment due 2027-02-01)</span>',
        'Written notice: <span class="badge text-bg-danger">late</span> by 2027-02-15</span>',
    ]
    page = _page(client, loan)
    assert all(text in page for text in late)
    queue = client.get(reverse("collections:queue")).content.decode()
    assert all(text in queue for text in late)
    _call(loan, date(2026, 12, 31))  # before the delinquency began: does not count
    _call(loan, date(2027, 2, 5))  # a good-faith attempt on day 35: meets both contacts
    EarlyInterventionNotice.objects.create(
        loan=loan, delinquency_start=date(2027, 1, 1), sent_on=date(2027, 2, 10), due_by=date(2027, 2, 15)
    )
    done = [
        'Live contact: <span class="badge text-bg-success">done</span> by 2027-02-06, done 2027-02-05 (payment due '
        "2027-01-01)</span>",
        'Live contact: <span class="badge text-bg-success">done</span> by 2027-03-09, done 2027-02-05 (payment due '
        "2027-02-01)</span>",
        'Written notice: <span class="badge text-bg-success">done</span> by 2027-02-15, done 2027-02-10</span>',
    ]
    page = _page(client, loan)
    assert all(text in page for text in done)
    assert "<td>2027-02-10</td><td>2027-01-01</td><td>2027-02-15</td><td>being made</td>" in page
    queue = client.get(reverse("collections:queue")).content.decode()
    cell = re.search(r'data-testid="reg-x">(.*?)</td>', queue, re.S).group(1)
    assert cell == "".join(f'<div><span data-testid="deadline">{text}</div>' for text in done)


def _busy_loan(collector) -> LoanAccount:
    """A loan with an open application with documents, a decided one, notices and calls."""
    loan = delinquent_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(collector=collector)
    decided = LossMitigationApplication.objects.create(
        loan=loan,
        status="denied",
        denial_reasons="No income.",
        received_on=date(2026, 12, 1),
        received_by=collector,
        acknowledge_by=date(2026, 12, 8),
        decided_on=date(2026, 12, 20),
        appeal_by=date(2027, 1, 3),
    )
    app = _app(loan)
    for n, kind in enumerate(("income", "hardship")):
        _doc(app, kind, n)
    assert decided.status == "denied"
    EarlyInterventionNotice.objects.create(
        loan=loan, delinquency_start=date(2027, 1, 1), sent_on=date(2027, 2, 10), due_by=date(2027, 2, 15)
    )
    _call(loan, date(2027, 2, 5))
    return loan


def test_the_loan_page_query_count_does_not_grow(client, loan, today, django_assert_max_num_queries):
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)
    _app(loan)  # the baseline has an application (its documents are read once there is one)
    with django_assert_max_num_queries(25) as few:
        _page(client, loan)
    busy = _busy_loan(collector)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = _page(client, busy)
    assert page.count('data-testid="lm-application"') == 2


def test_the_queue_query_count_does_not_grow(client, today, django_assert_max_num_queries):
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)
    _busy_loan(collector)
    with django_assert_max_num_queries(20) as one:
        assert client.get(reverse("collections:queue")).status_code == 200
    for _ in range(5):
        _busy_loan(collector)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("collections:queue"))
    assert response.content.decode().count('Acknowledgment: <span class="badge text-bg-warning">due</span>') == 6
