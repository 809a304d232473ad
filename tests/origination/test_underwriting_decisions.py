"""Decisions: reasons, the workflow action fired with them, and the adverse-action notice of a denial."""

import io

import pytest
import weasyprint
from django.conf import settings
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Decision
from origination.models.underwriting import AdverseActionNotice, PrincipalReason
from origination.services.credit import credit_pull
from origination.services.underwriting import (
    UnderwritingError,
    adverse_action_generate,
    adverse_action_html,
    decision_record,
    underwriting_decide,
)
from origination.services.workflow import StaleApplication, TransitionBlocked, application_transition
from tests.core.factories import user_with_role
from tests.origination.factories_underwriting import FindingFactory, underwriting_application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_principal_reasons_follow_form_c1():
    labels = PrincipalReason.labels
    assert len(labels) == 24
    for reason in (
        "Credit application incomplete",
        "Income insufficient for amount of credit requested",
        "Excessive obligations in relation to income",
        "Value or type of collateral not sufficient",
        "Unable to verify income",
        "Limited credit experience",
        "Delinquent past or present credit obligations with others",
    ):
        assert reason in labels


def test_decision_record_keeps_reasons_and_audits():
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    decision = decision_record(
        actor=underwriter,
        application=application,
        outcome="suspended",
        reasons=["unable_to_verify_income", "unable_to_verify_income"],
        note="Waiting on the 2025 W-2",
    )
    assert decision.reasons == ["unable_to_verify_income"]
    assert AuditEvent.objects.get(verb="decision.recorded").after["outcome"] == "suspended"


@pytest.mark.parametrize(
    ("reasons", "other", "message"),
    [
        ([], "", "at least one principal reason"),
        (
            ["insufficient_income", "excessive_obligations", "bankruptcy", "no_credit_file", "length_of_residence"],
            "",
            "at most 4",
        ),
        (["not_a_reason"], "", "Unknown reason"),
        (["other"], "", 'Say what the "Other" reason is'),
    ],
)
def test_a_denial_needs_1_to_4_known_reasons(reasons, other, message):
    application = underwriting_application()
    with pytest.raises(UnderwritingError, match=message):
        underwriting_decide(
            actor=user_with_role(roles.UNDERWRITER),
            application=application,
            outcome="denied",
            reasons=reasons,
            other_reason=other,
            note="no",
        )
    application.refresh_from_db()
    assert application.status == "underwriting"
    assert not Decision.objects.exists()
    assert not AdverseActionNotice.objects.exists()


@pytest.mark.parametrize("role", [roles.PROCESSOR, roles.LOAN_OFFICER, roles.CLOSER])
def test_only_underwriters_and_managers_decide(role):
    with pytest.raises(PermissionDenied):
        underwriting_decide(
            actor=user_with_role(role),
            application=underwriting_application(),
            outcome="suspended",
            reasons=[],
            note="x",
        )


def test_denial_moves_the_application_and_produces_the_adverse_action_pdf():
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    credit_pull(actor=underwriter, application=application)
    decision = underwriting_decide(
        actor=underwriter,
        application=application,
        outcome="denied",
        reasons=["excessive_obligations", "other"],
        other_reason="Property is outside our lending area",
        note="DTI 52 % with no compensating factors",
        expected_status="underwriting",
    )
    application.refresh_from_db()
    assert application.status == "denied"
    assert application.transitions.get().note == "DTI 52 % with no compensating factors"
    notice = AdverseActionNotice.objects.get(application=application)
    assert notice.decision == decision
    with notice.file.open("rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == notice.sha256
    assert AuditEvent.objects.filter(verb="adverse_action.generated").exists()
    html = adverse_action_html(decision)
    assert "Excessive obligations in relation to income" in html
    assert "Other: Property is outside our lending area" in html
    assert "DTI 52 %" not in html  # the internal note stays internal
    assert "Equal Credit Opportunity Act prohibits creditors" in html
    assert "Bureau of Consumer Financial Protection" in html
    assert "Your credit score" in html
    assert "740" in html
    assert "a low of 300 to a high of 850" in html
    assert "SANDBOX" in html


def test_the_adverse_action_pdf_reads_word_for_word_as_with_weasyprints_own_sheet():
    # Rendered with the lean user-agent sheet of every PDF (pdf_render): it drops rules, never content.
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    credit_pull(actor=underwriter, application=application)
    decision = underwriting_decide(
        actor=underwriter, application=application, outcome="denied", reasons=["bankruptcy"], note="BK"
    )
    with AdverseActionNotice.objects.get(application=application).file.open("rb") as handle:
        ours = _words(handle.read())
    theirs = _words(weasyprint.HTML(string=adverse_action_html(decision), base_url=str(settings.BASE_DIR)).write_pdf())
    assert ours == theirs
    assert "Bankruptcy" in ours
    assert len(ours) > 250


def _words(pdf: bytes) -> list[str]:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()


def test_the_notice_without_a_score_has_no_score_disclosure():
    application = underwriting_application(ssn="999-00-0001")
    underwriter = user_with_role(roles.UNDERWRITER)
    credit_pull(actor=underwriter, application=application)
    decision = underwriting_decide(
        actor=underwriter, application=application, outcome="denied", reasons=["no_credit_file"], note="No file"
    )
    html = adverse_action_html(decision)
    assert "No credit file" in html
    assert "Your credit score" not in html
    assert "had no credit score" in html


def test_one_notice_per_application_and_only_for_denials():
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    decision = underwriting_decide(
        actor=underwriter, application=application, outcome="denied", reasons=["bankruptcy"], note="BK"
    )
    with pytest.raises(UnderwritingError, match="already has"):
        adverse_action_generate(actor=underwriter, decision=decision)
    suspended = decision_record(
        actor=underwriter, application=underwriting_application(), outcome="suspended", reasons=[]
    )
    with pytest.raises(UnderwritingError, match="follows a denial"):
        adverse_action_generate(actor=underwriter, decision=suspended)


def test_a_stale_page_records_nothing():
    application = underwriting_application()
    with pytest.raises(StaleApplication):
        underwriting_decide(
            actor=user_with_role(roles.UNDERWRITER),
            application=application,
            outcome="suspended",
            reasons=[],
            note="x",
            expected_status="processing",
        )
    assert not Decision.objects.exists()


def test_suspend_needs_a_note():
    with pytest.raises(TransitionBlocked, match="needs a reason"):
        underwriting_decide(
            actor=user_with_role(roles.UNDERWRITER),
            application=underwriting_application(),
            outcome="suspended",
            reasons=[],
        )
    assert not Decision.objects.exists()


def test_workflow_actions_fired_elsewhere_still_record_a_decision():
    application = underwriting_application()
    FindingFactory(application=application)
    underwriter = user_with_role(roles.UNDERWRITER)
    application_transition(application=application, name="approve", actor=underwriter, note="ok")
    decision = Decision.objects.get()
    assert (decision.outcome, decision.reasons, decision.decided_by) == ("approved", [], underwriter)


def test_deny_fired_elsewhere_is_refused_for_want_of_reasons():
    application = underwriting_application()
    with pytest.raises(TransitionBlocked, match="principal reasons"):
        application_transition(application=application, name="deny", actor=user_with_role(roles.UNDERWRITER), note="no")
    application.refresh_from_db()
    assert application.status == "underwriting"
    assert not Decision.objects.exists()
