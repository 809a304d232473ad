"""Conditions: who may add, clear and waive them; a verified document clears its condition; open
prior-to-approval conditions block approval."""

import pytest
from django.core.exceptions import PermissionDenied

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Condition, Decision, Document
from origination.services.underwriting import (
    UnderwritingError,
    condition_add,
    condition_clear,
    condition_waive,
    underwriting_decide,
)
from origination.services.workflow import TransitionBlocked
from tests.core.factories import user_with_role
from tests.origination.factories import DocumentTypeFactory
from tests.origination.factories_underwriting import ConditionFactory, FindingFactory, underwriting_application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [roles.UNDERWRITER, roles.MANAGER])
def test_underwriters_add_a_condition_tied_to_a_document_type(role):
    application = underwriting_application()
    actor = user_with_role(role)
    paystub = DocumentTypeFactory(code="paystub", name="Pay stub")
    condition = condition_add(
        actor=actor,
        application=application,
        stage="prior_to_docs",
        description="  Recent pay stub  ",
        document_type=paystub,
    )
    assert (condition.stage, condition.description, condition.status, condition.document_type) == (
        "prior_to_docs",
        "Recent pay stub",
        "open",
        paystub,
    )
    event = AuditEvent.objects.get(verb="condition.added")
    assert event.after == {"stage": "prior_to_docs", "description": "Recent pay stub", "document_type": "paystub"}


@pytest.mark.parametrize("role", [roles.PROCESSOR, roles.LOAN_OFFICER, roles.CLOSER, roles.BORROWER])
def test_other_roles_may_not_add_clear_or_waive(role):
    application = underwriting_application()
    actor = user_with_role(role)
    condition = ConditionFactory(application=application)
    with pytest.raises(PermissionDenied):
        condition_add(actor=actor, application=application, stage="prior_to_approval", description="x")
    with pytest.raises(PermissionDenied):
        condition_clear(actor=actor, condition=condition, note="")
    with pytest.raises(PermissionDenied):
        condition_waive(actor=actor, condition=condition, note="fine")
    assert Condition.objects.get().status == "open"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stage": "whenever", "description": "x"}, "Unknown condition stage"),
        ({"stage": "prior_to_approval", "description": "   "}, "Describe what the condition asks for"),
    ],
)
def test_bad_conditions_are_refused(kwargs, message):
    with pytest.raises(UnderwritingError, match=message):
        condition_add(actor=user_with_role(roles.UNDERWRITER), application=underwriting_application(), **kwargs)


def test_no_conditions_on_a_denied_application():
    with pytest.raises(UnderwritingError, match="no more conditions"):
        condition_add(
            actor=user_with_role(roles.UNDERWRITER),
            application=underwriting_application("denied"),
            stage="prior_to_approval",
            description="x",
        )


def test_clear_and_waive_record_who_when_and_why():
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    first, second = ConditionFactory(application=application), ConditionFactory(application=application)
    cleared = condition_clear(actor=underwriter, condition=first, note="Letter of explanation received")
    assert (cleared.status, cleared.cleared_by, cleared.clearing_note) == (
        "cleared",
        underwriter,
        "Letter of explanation received",
    )
    assert cleared.cleared_at is not None
    waived = condition_waive(actor=underwriter, condition=second, note="Compensating factor: 30 months of reserves")
    assert waived.status == "waived"
    assert list(
        AuditEvent.objects.filter(verb__in=["condition.cleared", "condition.waived"])
        .order_by("id")
        .values_list("verb", "after")
    ) == [
        ("condition.cleared", {"status": "cleared"}),
        ("condition.waived", {"status": "waived"}),
    ]


def test_waive_needs_a_note_and_settled_conditions_stay_settled():
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    condition = ConditionFactory(application=application)
    with pytest.raises(UnderwritingError, match="needs a note"):
        condition_waive(actor=underwriter, condition=condition, note="  ")
    condition_clear(actor=underwriter, condition=condition)
    with pytest.raises(UnderwritingError, match="already cleared"):
        condition_waive(actor=underwriter, condition=condition, note="late")


def test_verifying_the_document_clears_the_condition_tied_to_its_type():
    from origination.services.documents import document_verify

    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    bank = DocumentTypeFactory(code="bank-statement", name="Bank statement")
    tied = condition_add(
        actor=underwriter,
        application=application,
        stage="prior_to_approval",
        description="Two months",
        document_type=bank,
    )
    by_hand = ConditionFactory(application=application)
    document = Document.objects.create(application=application, document_type=bank, status="uploaded")
    document_verify(actor=underwriter, document=document)
    tied.refresh_from_db()
    by_hand.refresh_from_db()
    assert tied.status == "cleared"
    assert tied.cleared_by == underwriter
    assert by_hand.status == "open"


def test_approval_is_blocked_while_a_prior_to_approval_condition_is_open():
    application = underwriting_application()
    FindingFactory(application=application)
    underwriter = user_with_role(roles.UNDERWRITER)
    condition = ConditionFactory(application=application, stage="prior_to_approval")
    ConditionFactory(application=application, stage="prior_to_funding")  # does not block approval
    with pytest.raises(TransitionBlocked) as blocked:
        underwriting_decide(actor=underwriter, application=application, outcome="approved", reasons=[])
    assert blocked.value.reasons == ("1 prior-to-approval condition is open",)
    assert not Decision.objects.exists()  # nothing half-applied
    # With conditions open, approving with conditions is what the underwriter can do.
    underwriting_decide(actor=underwriter, application=application, outcome="conditionally_approved", reasons=[])
    application.refresh_from_db()
    assert application.status == "conditionally_approved"
    condition_clear(actor=underwriter, condition=condition, note="done")
    underwriting_decide(actor=underwriter, application=application, outcome="approved", reasons=[], note="All clear")
    application.refresh_from_db()
    assert application.status == "approved"
    assert list(application.decisions.order_by("id").values_list("outcome", flat=True)) == [
        "conditionally_approved",
        "approved",
    ]
