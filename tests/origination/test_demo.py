"""The origination demo data: every workflow state through the real services, idempotent, and consistent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from lending.core import calendar
from lending.core.models import AuditEvent
from origination import demo
from origination.hmda.report import hmda_report
from origination.models import (
    Application,
    AveragePrimeOfferRate,
    Disclosure,
    Document,
    LoanProduct,
    Message,
    Status,
    TransitionLog,
)
from origination.selectors.intake import draft_to_resume
from origination.services.documents import sniff_file_kind
from origination.signals import loan_funded
from tests.origination.factories_pipeline import stays, stays_from_steps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Application, Document, Disclosure, Message, TransitionLog, AuditEvent, LoanProduct)
    } | {"apor": AveragePrimeOfferRate.objects.count()}


def test_demo_design_covers_every_workflow_state():
    assert set(Status.values) <= {s for s, n in demo.DESIGN.items() if n}
    assert {demo.PEOPLE[s.person].email for s in demo.SCENARIOS} >= {demo.ALICE, demo.BOB}


def test_seed_demo_reaches_every_state_once_per_design_and_a_second_run_adds_nothing():
    first = StringIO()
    call_command("seed_demo", stdout=first)

    assert Counter(Application.objects.values_list("status", flat=True)) == Counter(
        {status: n for status, n in demo.DESIGN.items() if n}
    )
    output = first.getvalue()
    for label in Status.labels:
        assert f"  {label}:" in output  # one line per state
    assert set(LoanProduct.objects.values_list("code", flat=True)) >= set(demo.PRODUCTS)
    assert stays() == stays_from_steps()  # every workflow step into every state wrote the stay it ended
    before = _counts()

    second = StringIO()
    call_command("seed_demo", stdout=second)

    assert _counts() == before
    assert "Origination demo data already there (nothing added)." in second.getvalue()


def test_demo_data_is_consistent_and_funding_is_announced_on_commit(django_capture_on_commit_callbacks):
    funded_signals = []
    loan_funded.connect(lambda **kw: funded_signals.append(kw), weak=False, dispatch_uid="test_demo_funded")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            demo.demo_seed(stdout=StringIO())
    finally:
        loan_funded.disconnect(dispatch_uid="test_demo_funded")

    funded = Application.objects.filter(status="funded")
    assert {kw["application"].pk for kw in funded_signals} == set(funded.values_list("pk", flat=True))
    assert len(funded_signals) == demo.DESIGN["funded"]

    today = timezone.localdate()
    alice_loan = funded.get(applicant__email=demo.ALICE, product__kind="mortgage")
    funding = alice_loan.funding
    cd = alice_loan.disclosures.get(kind="closing_disclosure")
    assert funding.loan_amount == alice_loan.amount_requested == cd.loan_amount
    assert funding.disbursed_amount == cd.amount_financed
    assert alice_loan.application_date < cd.issued_on < alice_loan.closing_date <= funding.funded_on < today
    # The history is back-dated coherently: created, stamped and logged on the days they happened.
    assert timezone.localdate(alice_loan.created_at) == alice_loan.application_date
    assert timezone.localdate(alice_loan.funded_at) == funding.funded_on
    assert calendar.add_business_days(cd.received_on, 3, calendar.SPECIFIC) <= alice_loan.closing_date
    le = alice_loan.disclosures.get(kind="loan_estimate")
    assert le.issued_on <= calendar.add_business_days(alice_loan.application_date, 3, calendar.GENERAL)
    path = list(alice_loan.transitions.values_list("to_status", flat=True))
    assert path == [
        "submitted",
        "processing",
        "underwriting",
        "conditionally_approved",
        "clear_to_close",
        "closing",
        "closed",
        "funded",
    ]
    assert all(log.created_at < timezone.now() for log in alice_loan.transitions.all())
    assert not alice_loan.documents.exclude(status="verified").exists()
    assert alice_loan.findings.get().recommendation == "approve_eligible"
    assert alice_loan.credit_reports.get().is_sandbox

    # The demo's HMDA file passes its edits: each mortgage with a final action has its demographics and tract.
    reports = [hmda_report(year=year) for year in (today.year - 1, today.year)]
    assert [error for report in reports for error in report.errors] == []
    actions = sorted(row.fields["action_taken"] for report in reports for row in report.lar.rows)
    assert actions == ["1", "1", "1", "3", "4"]  # Alice funded, Kevin and James closed; Grace denied; Bob withdrew
    assert not alice_loan.conditions.filter(status="open").exists()
    assert {c.code: c.result for c in alice_loan.compliance_checks.all()} == dict.fromkeys(
        ("apr_tolerance", "atr_qm", "cd_timing", "hoepa", "le_timing", "le_waiting_period"), "pass"
    ) | {"revised_le_timing": "n/a", "til_timing": "n/a"}
    assert set(alice_loan.closing_documents.values_list("kind", flat=True)) == {
        "promissory_note",
        "loan_estimate",
        "closing_disclosure",
        "first_payment_letter",
        "initial_escrow_disclosure",
        "amortization_schedule",
    }
    assert alice_loan.closing_signature.signed_on == alice_loan.closing_date
    assert {alice_loan.loan_officer.email, alice_loan.processor.email} == {demo.OFFICER, demo.PROCESSOR}
    assert {alice_loan.underwriter.email, alice_loan.closer.email} == {demo.UNDERWRITER, demo.CLOSER}

    # Every application is assigned, and each uploaded file is a real PDF.
    assert not Application.objects.filter(loan_officer__isnull=True).exists()
    version = alice_loan.documents.first().versions.first()
    with version.file.open("rb") as handle:
        assert sniff_file_kind(handle.read(16)).content_type == "application/pdf"

    # Alice can resume her draft where she left it; Bob has several applications.
    draft = draft_to_resume(user=alice_loan.applicant)
    assert draft is not None
    assert draft.intake_step == "liabilities"
    assert Application.objects.filter(applicant__email=demo.BOB).count() >= 3

    denied = Application.objects.get(status="denied")
    assert denied.adverse_action_notice.file
    assert denied.decisions.get().reasons
    closed = Application.objects.get(status="closed", purpose="refinance")
    assert closed.purpose == "refinance"
    assert not closed.conditions.filter(status="open").exists()  # only the right of rescission holds funding
    assert Message.objects.filter(is_internal=True).exists()
    assert Message.objects.filter(is_internal=False, author__email=demo.ALICE).exists()
    assert Application.objects.get(status="conditionally_approved").conditions.filter(status="open").exists()


def test_the_simulated_clock_patches_now_and_field_defaults_then_restores_them():
    moment = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
    created_at = Message._meta.get_field("created_at")
    with demo._clock(moment):
        assert timezone.localdate() == moment.date()
        assert abs((created_at.get_default() - moment).total_seconds()) < 5
    assert created_at.default is timezone.now
    assert created_at.get_default() > moment


def test_demo_pdf_is_sniffed_as_a_pdf():
    pdf = demo.demo_pdf("Pay stubs", "Alice Borrower")
    assert sniff_file_kind(pdf[:16]).content_type == "application/pdf"
    assert pdf.rstrip().endswith(b"%%EOF")
