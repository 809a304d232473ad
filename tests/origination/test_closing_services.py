"""Closing and funding services: scheduling, the closing package (note, LE and CD copies, first-payment
letter, initial escrow disclosure, amortization schedule), the signing, funding once (and only once) with
loan_funded announced on commit."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from lending.finance.amortization import LoanTerms
from lending.finance.escrow import EscrowDisbursement, escrow_projection
from origination.models import Application, ClosingDocument, ClosingSignature, Funding, Property, TransitionLog
from origination.services import closing as closing_service
from origination.services.closing import (
    ClosingError,
    FundingError,
    closing_documents_generate,
    closing_schedule,
    closing_signing_record,
    loan_fund,
)
from origination.services.workflow import TransitionBlocked, application_transition
from origination.signals import loan_funded
from tests.core.factories import user_with_role
from tests.money_asserts import text_by_testid
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
    in_closing_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def rendered(monkeypatch):
    """Every PDF the closing service renders: template name -> (context, HTML), still rendered for real."""
    seen = {}
    real = closing_service.pdf_render

    def spy(template_name, context):
        seen[template_name] = (context, render_to_string(template_name, context))
        return real(template_name, context)

    monkeypatch.setattr(closing_service, "pdf_render", spy)
    return seen


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


PACKAGE = [
    "promissory_note",
    "loan_estimate",
    "closing_disclosure",
    "first_payment_letter",
    "initial_escrow_disclosure",
    "amortization_schedule",
]


def test_closing_documents_are_pdfs_with_their_sha256_and_include_the_le_and_cd_as_issued():
    team = Team()
    application = closing_ready_application(team=team)
    documents = closing_documents_generate(actor=team.closer, application=application)
    assert [d.kind for d in documents] == PACKAGE
    for document in documents:
        with document.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-")
        assert document.sha256 == hashlib.sha256(content).hexdigest()
    for index, kind in ((1, "loan_estimate"), (2, "closing_disclosure")):
        disclosure = application.disclosures.get(kind=kind)
        with disclosure.document.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == documents[index].sha256
    assert [d.title for d in documents[4:]] == [
        "Initial escrow account disclosure",
        "Amortization schedule (360 payments)",
    ]
    event = AuditEvent.objects.get(verb="closing.documents_generated")
    assert event.after == {d.kind: d.sha256 for d in documents}


def test_the_initial_escrow_disclosure_shows_escrow_projection_for_the_property(rendered):
    team = Team()
    application = closing_ready_application(team=team)  # property: tax 4,800.00, insurance 1,500.00 a year
    closing_documents_generate(actor=team.closer, application=application)
    context, html = rendered["pdf/initial_escrow_disclosure.html"]
    # Tax in halves with escrow payments 6 and 12, insurance with payment 12 (the escrow year starts 2027-01-01).
    expected = escrow_projection(
        [
            EscrowDisbursement(date(2027, 6, 1), Decimal("2400.00"), "Property tax, installment 1 of 2"),
            EscrowDisbursement(date(2027, 12, 1), Decimal("2400.00"), "Property tax, installment 2 of 2"),
            EscrowDisbursement(date(2027, 12, 1), Decimal("1500.00"), "Homeowner's insurance premium"),
        ],
        FIRST_PAYMENT,
    )
    statement = context["escrow_statement"]
    assert statement.projection == expected
    assert context["escrow_monthly"] == expected.monthly_payment  # the note's and the letter's escrow estimate
    assert (expected.monthly_payment, expected.cushion, expected.initial_deposit) == (
        Decimal("525.00"),
        Decimal("1050.00"),
        Decimal("1050.00"),
    )
    for name in ("monthly_payment", "annual_disbursements", "cushion", "initial_deposit"):
        assert f'data-figure="{name}">' in html
    assert 'data-figure="monthly_payment">$525.00<' in html
    assert 'data-figure="annual_disbursements">$6,300.00<' in html
    assert 'data-figure="cushion">$1,050.00<' in html
    assert 'data-figure="initial_deposit"><strong>$1,050.00<' in html
    assert html.count('class="escrow-month"') == 12
    for month in expected.months:
        assert (
            f"<td>{month.month}</td><td>{month.payment_date:%b} {month.payment_date.day}, {month.payment_date.year}"
            in html
        )
    lines = statement.lines
    assert [line.balance for line in lines] == [m.balance for m in expected.months]
    assert lines[5].descriptions == ("Property tax, installment 1 of 2",)
    assert lines[11].descriptions == ("Property tax, installment 2 of 2", "Homeowner's insurance premium")
    assert lines[11].balance == expected.cushion  # the low point is the cushion, at the end of the year


def test_the_escrow_tax_split_puts_the_odd_cent_in_the_second_installment():
    application = closing_ready_application()
    Property.objects.filter(application=application).update(
        annual_property_tax=Decimal("4800.01"), annual_insurance=Decimal("0")
    )
    application.refresh_from_db()
    items = closing_service.escrow_disbursements(application, FIRST_PAYMENT)
    assert [(i.due_date, i.amount) for i in items] == [
        (date(2027, 6, 1), Decimal("2400.00")),
        (date(2027, 12, 1), Decimal("2400.01")),
    ]  # no insurance line for a zero premium


def test_no_escrow_disclosure_without_escrow_and_none_possible_without_escrow_items():
    team = Team()
    application = closing_ready_application(team=team, product=LoanProductFactory(escrow_required=False))
    documents = closing_documents_generate(actor=team.closer, application=application)
    assert "initial_escrow_disclosure" not in [d.kind for d in documents]
    escrowed = closing_ready_application(team=team)
    Property.objects.filter(application=escrowed).update(annual_property_tax=0, annual_insurance=0)
    with pytest.raises(ClosingError, match="no property tax or insurance to escrow"):
        closing_documents_generate(actor=team.closer, application=escrowed)
    assert not ClosingDocument.objects.filter(application=escrowed).exists()


def test_the_amortization_schedule_has_every_row_of_the_note_terms(rendered):
    team = Team()
    application = closing_ready_application(team=team)
    closing_documents_generate(actor=team.closer, application=application)
    context, html = rendered["pdf/amortization_schedule.html"]
    schedule = context["schedule"]
    product = application.product
    assert schedule.terms == LoanTerms(
        principal=Decimal("300000.00"),
        annual_rate=product.annual_rate,
        term_periods=product.term_periods,
        disbursement_date=CLOSING_DATE,
        first_payment_date=FIRST_PAYMENT,
        frequency=product.payment_frequency,
        amortization=product.amortization,
        day_count=product.day_count,
    )
    assert len(schedule.rows) == product.term_periods == 360
    assert schedule.rows[-1].balance == Decimal("0.00")
    assert len(context["schedule_lines"]) == 360
    # One preformatted cell of every line, under the column header (the table's header row, once in the HTML).
    assert context["schedule_text"] == "\n".join(context["schedule_lines"])
    assert html.count(f"<th>{context['schedule_header']}</th>") == 1
    assert html.count(f"<td>{context['schedule_text']}</td>") == 1
    last = schedule.rows[-1]
    last_line = context["schedule_lines"][-1]
    assert last_line.split() == [
        "360",
        f"{last.due_date:%b}",
        f"{last.due_date.day},",
        f"{last.due_date.year}",
        f"{last.payment:,}",
        f"{last.principal:,}",
        f"{last.interest:,}",
        "0.00",
    ]
    # Columns as wide as their widest figure, two spaces apart: 3 ("360") + 12 ("Jan  1, 2027") + 4 amounts of
    # 10 ("300,000.00", the principal total) = 55, + 5 gaps of 2 = 65 characters on every installment's line.
    assert {len(line) for line in context["schedule_lines"]} == {65}
    assert context["schedule_totals"].split()[1:] == [
        f"{schedule.total_payments:,}",
        "300,000.00",
        f"{schedule.total_interest:,}",
    ]
    # The note is rendered from the same figures: its schedule is this one.
    note_context, note_html = rendered["pdf/promissory_note.html"]
    assert note_context["figures"].schedule is schedule
    assert text_by_testid(note_html, "note-payment") == f"${schedule.regular_payment:,}"
    assert f"{last.due_date:%b} {last.due_date.day}, {last.due_date.year}" in note_html


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


def test_funding_records_the_method_wire_by_default():
    team = Team()
    wired = loan_fund(
        actor=team.closer, application=closed_application(team=team), funded_on=CLOSING_DATE, wire_reference="FW-1"
    )
    assert wired.method == Funding.Method.WIRE
    checked = loan_fund(
        actor=team.closer,
        application=closed_application(team=team),
        funded_on=CLOSING_DATE,
        wire_reference="CHK 1042",
        method="check",
    )
    assert Funding.objects.get(pk=checked.pk).method == "check"
    events = {e.target_id: e.after for e in AuditEvent.objects.filter(verb="loan.funded")}
    assert events[str(checked.pk)]["method"] == "check"
    assert events[str(wired.pk)]["method"] == "wire"
    assert TransitionLog.objects.get(application=checked.application, transition="fund").note == "Check CHK 1042"


def test_an_unknown_funding_method_is_refused():
    team = Team()
    application = closed_application(team=team)
    with pytest.raises(FundingError, match="Unknown funding method 'cash'"):
        loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="X", method="cash")
    assert not Funding.objects.exists()


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


# --- signing ---------------------------------------------------------------------------------------------


def test_close_requires_the_signing_which_is_recorded_and_audited():
    team = Team()
    application = in_closing_application(team=team)
    with pytest.raises(TransitionBlocked) as blocked:
        application_transition(application=application, name="close", actor=team.closer)
    assert blocked.value.reasons == ("the signing on the scheduled closing date has not been recorded",)
    signature = closing_signing_record(
        actor=team.closer,
        application=application,
        signed_on=CLOSING_DATE,
        location=" Prairie Title ",
        notary="Dana Whitfield",
        notes="All borrowers present.",
    )
    assert (signature.signed_on, signature.location, signature.recorded_by) == (
        CLOSING_DATE,
        "Prairie Title",
        team.closer,
    )
    event = AuditEvent.objects.get(verb="closing.signing_recorded")
    assert event.after == {
        "signed_on": "2026-11-13",
        "location": "Prairie Title",
        "notary": "Dana Whitfield",
        "notes": "All borrowers present.",
    }
    application_transition(application=application, name="close", actor=team.closer)
    assert Application.objects.get(pk=application.pk).status == "closed"


def test_recording_the_signing_again_corrects_it():
    team = Team()
    application = in_closing_application(team=team)
    closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE, location="Branch")
    manager = user_with_role(roles.MANAGER)
    closing_signing_record(actor=manager, application=application, signed_on=CLOSING_DATE, location="Title Co.")
    signature = ClosingSignature.objects.get()
    assert (signature.location, signature.recorded_by) == ("Title Co.", manager)
    event = AuditEvent.objects.get(verb="closing.signing_corrected")
    assert (event.before["location"], event.after["location"]) == ("Branch", "Title Co.")


def test_a_signing_before_a_reschedule_does_not_count_until_recorded_again(client):
    team = Team()
    application = in_closing_application(team=team)
    closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE)
    monday = date(2026, 11, 16)
    closing_schedule(actor=team.closer, application=application, closing_date=monday, first_payment_date=FIRST_PAYMENT)
    application.refresh_from_db()
    with pytest.raises(TransitionBlocked) as blocked:
        application_transition(application=application, name="close", actor=team.closer)
    assert blocked.value.reasons == ("the signing on the scheduled closing date has not been recorded",)
    client.force_login(team.closer)
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert "The closing was rescheduled to 2026-11-16: record the signing on that date." in panel
    closing_signing_record(actor=team.closer, application=application, signed_on=monday)
    application_transition(application=application, name="close", actor=team.closer)
    assert Application.objects.get(pk=application.pk).status == "closed"


def test_the_signing_rules():
    team = Team()
    application = in_closing_application(team=team)
    for role in (roles.LOAN_OFFICER, roles.UNDERWRITER, roles.PROCESSOR):
        with pytest.raises(PermissionDenied, match="Only closers and managers"):
            closing_signing_record(actor=user_with_role(role), application=application, signed_on=CLOSING_DATE)
    with pytest.raises(ClosingError, match="is not the scheduled closing date 2026-11-13"):
        closing_signing_record(actor=team.closer, application=application, signed_on=date(2026, 11, 12))
    tomorrow = timezone.localdate() + timedelta(days=1)
    Application.objects.filter(pk=application.pk).update(closing_date=tomorrow)
    with pytest.raises(ClosingError, match="in the future"):
        closing_signing_record(actor=team.closer, application=application, signed_on=tomorrow)
    ready = closing_ready_application(team=team)
    with pytest.raises(ClosingError, match="not while Clear to close"):
        closing_signing_record(actor=team.closer, application=ready, signed_on=CLOSING_DATE)
    assert not ClosingSignature.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="closing.signing").exists()
