"""Closing and funding services: scheduling, the closing package, funding once (and only once) with
loan_funded announced on commit."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Application, ClosingDocument, Funding, TransitionLog
from origination.services import closing as closing_service
from origination.services.closing import (
    ClosingError,
    FundingError,
    closing_documents_generate,
    closing_schedule,
    loan_fund,
)
from origination.services.workflow import TransitionBlocked
from origination.signals import loan_funded
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory, complete_application
from tests.origination.factories_compliance import (
    CLOSING_DATE,
    FIRST_PAYMENT,
    ProductFeeFactory,
    Team,
    approved_application,
    clear_to_close_application,
    closed_application,
    closing_ready_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def funded_signals():
    received = []
    loan_funded.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test_closing_funded")
    yield received
    loan_funded.disconnect(dispatch_uid="test_closing_funded")


# --- scheduling ------------------------------------------------------------------------------------------


def test_schedule_closing_sets_the_dates_audits_and_refreshes_the_checks():
    team = Team()
    application = approved_application(team=team)
    closing_schedule(
        actor=team.closer, application=application, closing_date=CLOSING_DATE, first_payment_date=FIRST_PAYMENT
    )
    application.refresh_from_db()
    assert (application.closing_date, application.first_payment_date) == (CLOSING_DATE, FIRST_PAYMENT)
    event = AuditEvent.objects.get(verb="application.closing_scheduled")
    assert event.after == {"closing_date": "2026-11-13", "first_payment_date": "2027-01-01"}
    # No CD yet and the CD can no longer be received in time for that closing: the check says so.
    assert application.compliance_checks.get(code="cd_timing").result == "fail"


def test_schedule_closing_rules():
    team = Team()
    application = approved_application(team=team)
    with pytest.raises(ClosingError, match="after the closing date"):
        closing_schedule(
            actor=team.closer, application=application, closing_date=CLOSING_DATE, first_payment_date=CLOSING_DATE
        )
    with pytest.raises(PermissionDenied):
        closing_schedule(
            actor=team.loan_officer,
            application=application,
            closing_date=CLOSING_DATE,
            first_payment_date=FIRST_PAYMENT,
        )
    with pytest.raises(ClosingError, match="before the application date"):
        closing_schedule(
            actor=team.closer, application=application, closing_date=date(2026, 10, 1), first_payment_date=FIRST_PAYMENT
        )
    draft = complete_application()
    with pytest.raises(ClosingError, match="while the application is Draft"):
        closing_schedule(
            actor=team.closer, application=draft, closing_date=CLOSING_DATE, first_payment_date=FIRST_PAYMENT
        )
    application.refresh_from_db()
    assert application.closing_date is None


# --- closing documents -----------------------------------------------------------------------------------


def test_closing_documents_are_pdfs_with_their_sha256_and_include_the_cd_as_issued():
    team = Team()
    application = closing_ready_application(team=team)
    documents = closing_documents_generate(actor=team.closer, application=application)
    assert [d.kind for d in documents] == ["promissory_note", "closing_disclosure", "first_payment_letter"]
    for document in documents:
        with document.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-")
        assert document.sha256 == hashlib.sha256(content).hexdigest()
    cd = application.disclosures.get(kind="closing_disclosure")
    with cd.document.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == documents[1].sha256
    event = AuditEvent.objects.get(verb="closing.documents_generated")
    assert event.after["promissory_note"] == documents[0].sha256


def test_closing_documents_need_a_cd_the_right_status_and_a_closer():
    team = Team()
    application = clear_to_close_application(team=team)
    with pytest.raises(ClosingError, match="Schedule the closing"):
        closing_documents_generate(actor=team.closer, application=application)
    closing_schedule(
        actor=team.closer, application=application, closing_date=CLOSING_DATE, first_payment_date=FIRST_PAYMENT
    )
    with pytest.raises(ClosingError, match="Issue the Closing Disclosure first"):
        closing_documents_generate(actor=team.closer, application=application)
    with pytest.raises(PermissionDenied):
        closing_documents_generate(actor=team.underwriter, application=application)
    with pytest.raises(ClosingError, match="once clear to close"):
        closing_documents_generate(actor=team.closer, application=complete_application())
    assert not ClosingDocument.objects.exists()


# --- funding ---------------------------------------------------------------------------------------------


def test_funding_records_the_disbursement_moves_to_funded_and_announces_once_on_commit(
    django_capture_on_commit_callbacks, funded_signals
):
    team = Team()
    product = LoanProductFactory()
    ProductFeeFactory(product=product, name="Underwriting", amount=Decimal("995.00"))  # withheld at funding
    application = closed_application(team=team, product=product)
    assert application.status == "closed"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        funding = loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="FW-1")
    assert funding.loan_amount == Decimal("300000.00")
    assert funding.disbursed_amount == Decimal("300000.00") - Decimal("3000.00") - Decimal("995.00")
    assert (funding.funded_on, funding.wire_reference, funding.funded_by) == (CLOSING_DATE, "FW-1", team.closer)
    stored = Application.objects.get(pk=application.pk)
    assert stored.status == "funded"
    assert stored.funded_at is not None
    assert TransitionLog.objects.filter(application=application, transition="fund").count() == 1
    assert AuditEvent.objects.get(verb="loan.funded").after["disbursed_amount"] == "296005.00"
    assert len(funded_signals) == 1
    assert funded_signals[0]["application"].pk == application.pk
    assert funded_signals[0]["funding"] == funding
    assert funded_signals[0]["actor"] == team.closer
    assert funded_signals[0]["sender"] is Application
    assert len(callbacks) >= 1


def test_loan_funded_is_not_sent_before_commit(django_capture_on_commit_callbacks, funded_signals):
    team = Team()
    application = closed_application(team=team)
    with django_capture_on_commit_callbacks(execute=False):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="FW-1")
    assert funded_signals == []


def test_funding_twice_is_refused_and_changes_nothing(django_capture_on_commit_callbacks, funded_signals):
    team = Team()
    application = closed_application(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="FW-1")
    events, logs = AuditEvent.objects.count(), TransitionLog.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(FundingError, match="already funded"):
        # The caller's copy is stale (still "closed"): the lock reads the truth.
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="FW-2")
    assert Funding.objects.get().wire_reference == "FW-1"
    assert (AuditEvent.objects.count(), TransitionLog.objects.count()) == (events, logs)
    assert len(funded_signals) == 1


def test_only_a_closed_loan_is_funded_by_a_closer_not_before_closing():
    team = Team()
    application = closing_ready_application(team=team)
    with pytest.raises(FundingError, match="Only a closed loan"):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="X")
    closed = closed_application(team=team)
    with pytest.raises(PermissionDenied):
        loan_fund(
            actor=user_with_role(roles.UNDERWRITER), application=closed, funded_on=CLOSING_DATE, wire_reference="X"
        )
    with pytest.raises(FundingError, match="before the closing"):
        loan_fund(actor=team.closer, application=closed, funded_on=date(2026, 11, 12), wire_reference="X")
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(FundingError, match="is in the future"):
        loan_fund(actor=team.closer, application=closed, funded_on=tomorrow, wire_reference="X")
    assert not Funding.objects.exists()


def test_a_refinance_of_a_home_waits_out_the_right_to_rescind():
    team = Team()
    application = closed_application(team=team, purpose="refinance")
    # Closed Fri 11/13: rescission runs Sat 11/14, Mon 11/16, Tue 11/17 (specific business days).
    with pytest.raises(FundingError, match="through 2026-11-17"):
        loan_fund(actor=team.closer, application=application, funded_on=date(2026, 11, 17), wire_reference="X")
    funding = loan_fund(actor=team.closer, application=application, funded_on=date(2026, 11, 18), wire_reference="X")
    assert funding.application.status == "funded"


def test_a_blocking_guard_rolls_the_funding_back(monkeypatch):
    team = Team()
    application = closed_application(team=team)

    def blocked(**kwargs):
        raise TransitionBlocked("Fund is blocked.", ("Every prior-to-funding condition is cleared",))

    monkeypatch.setattr(closing_service, "application_transition", blocked)
    with pytest.raises(TransitionBlocked):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="X")
    assert not Funding.objects.exists()
    assert not AuditEvent.objects.filter(verb="loan.funded").exists()


def test_funding_disburses_what_the_closing_disclosure_disclosed():
    team = Team()
    application = closed_application(team=team)
    ProductFeeFactory(product=application.product, amount=Decimal("700.00"))  # a product edit after the CD
    funding = loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="X")
    assert funding.disbursed_amount == application.disclosures.get(kind="closing_disclosure").amount_financed
    assert funding.disbursed_amount == Decimal("297000.00")


def test_a_loan_amount_changed_after_the_closing_disclosure_is_not_funded():
    team = Team()
    application = closed_application(team=team)
    Application.objects.filter(pk=application.pk).update(amount_requested=Decimal("310000.00"))
    with pytest.raises(FundingError, match="corrected Closing Disclosure"):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="X")
    assert not Funding.objects.exists()


def test_a_failed_generation_leaves_no_file_behind(monkeypatch, settings):
    team = Team()
    application = closing_ready_application(team=team)
    before = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(closing_service, "audit_record", broken)
    with pytest.raises(RuntimeError):
        closing_documents_generate(actor=team.closer, application=application)
    assert not ClosingDocument.objects.exists()
    assert {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()} == before
