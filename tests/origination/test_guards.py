"""Every workflow guard flipped at its boundary, who may fire each transition, and transition_options().

Dates are explicit, around weekends and US federal holidays (Veterans Day Wed 2026-11-11, Thanksgiving
Thu 2026-11-26, Christmas Fri 2026-12-25); "today" is frozen where a guard reads timezone.localdate().
"""

from __future__ import annotations

from datetime import date
from unittest.mock import patch

import pytest
from django.contrib.auth.models import AnonymousUser

from lending.core import roles
from origination import workflow
from origination.models import (
    Application,
    ClosingDocument,
    ClosingSignature,
    ComplianceCheck,
    Disclosure,
    Document,
)
from origination.services.workflow import TransitionBlocked, application_transition
from origination.workflow import (
    _owner_or_staff,
    _staff,
    approval_conditions_cleared,
    closing_date_reached,
    closing_date_set,
    closing_disclosure_issued,
    closing_disclosure_received_on,
    closing_disclosure_waiting_period_met,
    closing_documents_ready,
    compliance_passes,
    credit_pulled,
    docs_conditions_cleared,
    findings_present,
    funding_conditions_cleared,
    has_open_conditions,
    has_primary_borrower,
    rescission_period_over,
    signing_recorded,
    submission_documents_verified,
    transition_options,
    trid_items_complete,
)
from tests.core.factories import UserFactory, user_with_role
from tests.origination.factories import (
    ApplicationFactory,
    BorrowerFactory,
    ConsumerProductFactory,
    DocumentTypeFactory,
    ProductDocumentFactory,
    PropertyFactory,
    complete_application,
)
from tests.origination.factories_compliance import DisclosureFactory
from tests.origination.factories_underwriting import ConditionFactory, CreditReportFactory, FindingFactory, park

pytestmark = pytest.mark.django_db

CD, LE = Disclosure.Kind.CLOSING_DISCLOSURE, Disclosure.Kind.LOAN_ESTIMATE
MAIL, EMAIL, IN_PERSON = Disclosure.Delivery.MAIL, Disclosure.Delivery.EMAIL, Disclosure.Delivery.IN_PERSON


def today_is(day: date):
    return patch("django.utils.timezone.localdate", return_value=day)


def closing_disclosure(application, issued_on: date, delivery=MAIL, received_on: date | None = None) -> Disclosure:
    return DisclosureFactory.create(
        application=application, kind=CD, issued_on=issued_on, delivery=delivery, received_on=received_on
    )


def check(application, code: str, result: str) -> ComplianceCheck:
    return ComplianceCheck.objects.create(application=application, code=code, result=result, explanation=code)


# --- intake and processing guards ----------------------------------------------------------------------


def test_has_primary_borrower_needs_a_primary_not_just_a_co_borrower():
    application = ApplicationFactory()
    BorrowerFactory(application=ApplicationFactory())  # someone else's primary borrower
    BorrowerFactory(application=application, is_primary=False)
    assert has_primary_borrower(application) is False
    BorrowerFactory(application=application, is_primary=True)
    assert has_primary_borrower(application) is True


def test_trid_items_complete_reads_the_application_date_stamp():
    application = ApplicationFactory(application_date=None)
    assert trid_items_complete(application) is False
    application.application_date = date(2026, 11, 2)
    assert trid_items_complete(application) is True


def test_submission_documents_verified_needs_each_required_type_verified_on_this_application():
    application = ApplicationFactory()
    paystub, w2, extra = DocumentTypeFactory(code="paystub"), DocumentTypeFactory(code="w2"), DocumentTypeFactory()
    ProductDocumentFactory(product=application.product, document_type=paystub)
    ProductDocumentFactory(product=application.product, document_type=w2)
    ProductDocumentFactory(product=application.product, document_type=extra, required_for_submission=False)
    other = ApplicationFactory(product=application.product)
    Document.objects.create(application=other, document_type=w2, status=Document.Status.VERIFIED)
    Document.objects.create(application=application, document_type=paystub, status=Document.Status.VERIFIED)
    w2_doc = Document.objects.create(application=application, document_type=w2, status=Document.Status.UPLOADED)
    assert submission_documents_verified(application) is False  # uploaded is not verified
    w2_doc.status = Document.Status.VERIFIED
    w2_doc.save()
    assert submission_documents_verified(application) is True  # the optional type never blocks


def test_submission_documents_verified_with_an_empty_checklist():
    assert submission_documents_verified(ApplicationFactory()) is True


def test_credit_pulled_needs_a_report_for_every_borrower():
    application = ApplicationFactory()
    primary = BorrowerFactory(application=application)
    co_borrower = BorrowerFactory(application=application, is_primary=False)
    assert credit_pulled(application) is False
    CreditReportFactory(borrower=primary)
    assert credit_pulled(application) is False
    CreditReportFactory(borrower=co_borrower)
    assert credit_pulled(application) is True


def test_findings_present_counts_only_this_applications_findings():
    application = ApplicationFactory()
    FindingFactory(application=ApplicationFactory())
    assert findings_present(application) is False
    FindingFactory(application=application)
    assert findings_present(application) is True


# --- conditions ----------------------------------------------------------------------------------------

STAGES = ("prior_to_approval", "prior_to_docs", "prior_to_funding")
# For each condition guard: the stages whose open conditions block it.
BLOCKING_STAGES = {
    approval_conditions_cleared: {"prior_to_approval"},
    docs_conditions_cleared: {"prior_to_approval", "prior_to_docs"},
    funding_conditions_cleared: {"prior_to_approval", "prior_to_docs", "prior_to_funding"},
}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("guard", list(BLOCKING_STAGES), ids=lambda g: g.__name__)
def test_condition_guards_are_blocked_only_by_open_conditions_of_their_stages(guard, stage):
    application = ApplicationFactory()
    ConditionFactory(application=ApplicationFactory(), stage=stage)  # another application's open condition
    assert guard(application) is True
    condition = ConditionFactory(application=application, stage=stage)
    assert guard(application) is (stage not in BLOCKING_STAGES[guard])
    for status in ("cleared", "waived"):
        condition.status = status
        condition.save()
        assert guard(application) is True


@pytest.mark.parametrize("stage", STAGES)
def test_has_open_conditions_counts_open_conditions_of_any_stage(stage):
    application = ApplicationFactory()
    ConditionFactory(application=ApplicationFactory(), stage=stage)
    ConditionFactory(application=application, stage=stage, status="cleared")
    ConditionFactory(application=application, stage=stage, status="waived")
    assert has_open_conditions(application) is False
    ConditionFactory(application=application, stage=stage)
    assert has_open_conditions(application) is True


# --- compliance and closing ----------------------------------------------------------------------------


def test_compliance_passes_needs_results_and_no_failure():
    application = ApplicationFactory()
    check(ApplicationFactory(), "apr_tolerance", "pass")
    assert compliance_passes(application) is False  # nothing run yet is not a pass
    check(application, "apr_tolerance", "pass")
    check(application, "hpml", "n/a")
    assert compliance_passes(application) is True
    failing = check(application, "cd_timing", "fail")
    assert compliance_passes(application) is False
    failing.result = "pass"
    failing.save()
    assert compliance_passes(application) is True


def test_closing_date_set():
    application = ApplicationFactory()
    assert closing_date_set(application) is False
    application.closing_date = date(2026, 11, 27)
    assert closing_date_set(application) is True


def test_closing_disclosure_issued_ignores_loan_estimates():
    application = ApplicationFactory()
    DisclosureFactory(application=application, kind=LE)
    closing_disclosure(ApplicationFactory(), date(2026, 11, 9))
    assert closing_disclosure_issued(application) is False
    closing_disclosure(application, date(2026, 11, 9))
    assert closing_disclosure_issued(application) is True


def test_closing_documents_ready():
    application = ApplicationFactory()
    assert closing_documents_ready(application) is False
    ClosingDocument.objects.create(
        application=application,
        kind="promissory_note",
        title="Promissory note",
        file="closing/2026/11/note.pdf",
        sha256="0" * 64,
        generated_by=UserFactory(),
    )
    assert closing_documents_ready(application) is True


def test_closing_date_reached_flips_on_the_day():
    application = ApplicationFactory()
    with today_is(date(2026, 11, 26)):  # a holiday: the calendar date counts, not business days
        assert closing_date_reached(application) is False
        application.closing_date = date(2026, 11, 27)
        assert closing_date_reached(application) is False
        application.closing_date = date(2026, 11, 26)
        assert closing_date_reached(application) is True
        application.closing_date = date(2026, 11, 20)
        assert closing_date_reached(application) is True


# --- Closing Disclosure receipt and the 3-business-day wait (Reg Z 1026.19(f)) ------------------------


def test_closing_disclosure_received_on_without_a_closing_disclosure():
    application = ApplicationFactory()
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 3), received_on=date(2026, 11, 3))
    assert closing_disclosure_received_on(application) is None


@pytest.mark.parametrize(
    ("issued_on", "presumed"),
    [
        (date(2026, 11, 6), date(2026, 11, 10)),  # Fri: Sat 7, (Sun 8), Mon 9, Tue 10
        (date(2026, 11, 9), date(2026, 11, 13)),  # Mon: Tue 10, (Veterans Day Wed 11), Thu 12, Fri 13
        (date(2026, 11, 24), date(2026, 11, 28)),  # Tue: Wed 25, (Thanksgiving), Fri 27, Sat 28
        (date(2026, 11, 25), date(2026, 11, 30)),  # Wed: (Thanksgiving), Fri 27, Sat 28, (Sun 29), Mon 30
        (date(2026, 12, 23), date(2026, 12, 28)),  # Wed: Thu 24, (Christmas), Sat 26, (Sun 27), Mon 28
    ],
)
@pytest.mark.parametrize("delivery", [MAIL, EMAIL])
def test_closing_disclosure_presumed_received_three_specific_business_days_after_sending(issued_on, presumed, delivery):
    application = ApplicationFactory()
    closing_disclosure(application, issued_on, delivery)
    assert closing_disclosure_received_on(application) == presumed


def test_closing_disclosure_in_person_is_received_the_day_it_is_handed_over():
    application = ApplicationFactory()
    closing_disclosure(application, date(2026, 11, 25), IN_PERSON)
    assert closing_disclosure_received_on(application) == date(2026, 11, 25)


@pytest.mark.parametrize("delivery", [MAIL, EMAIL, IN_PERSON])
def test_closing_disclosure_actual_receipt_wins_over_any_presumption(delivery):
    application = ApplicationFactory()
    closing_disclosure(application, date(2026, 11, 24), delivery, received_on=date(2026, 11, 25))
    assert closing_disclosure_received_on(application) == date(2026, 11, 25)


def test_closing_disclosure_received_on_follows_the_latest_issued_closing_disclosure():
    application = ApplicationFactory()
    closing_disclosure(application, date(2026, 11, 12), MAIL)  # revised CD, recorded first
    closing_disclosure(application, date(2026, 11, 9), IN_PERSON)  # entered later, issued earlier
    assert closing_disclosure_received_on(application) == date(2026, 11, 16)  # Fri 13, Sat 14, (Sun), Mon 16
    closing_disclosure(application, date(2026, 11, 12), IN_PERSON)  # same issue date: the newest row wins
    assert closing_disclosure_received_on(application) == date(2026, 11, 12)


@pytest.mark.parametrize(
    ("received_on", "too_early", "earliest"),
    [
        (date(2026, 11, 9), date(2026, 11, 12), date(2026, 11, 13)),  # Tue 10, (Wed 11), Thu 12, Fri 13
        (date(2026, 11, 23), date(2026, 11, 26), date(2026, 11, 27)),  # Tue 24, Wed 25, (Thu 26), Fri 27
        (date(2026, 11, 25), date(2026, 11, 29), date(2026, 11, 30)),  # Fri 27, Sat 28, (Sun 29), Mon 30
    ],
)
def test_closing_disclosure_waiting_period_against_the_scheduled_closing(received_on, too_early, earliest):
    application = ApplicationFactory(closing_date=too_early)
    closing_disclosure(application, received_on, IN_PERSON)
    assert closing_disclosure_waiting_period_met(application) is False
    application.closing_date = earliest
    assert closing_disclosure_waiting_period_met(application) is True


def test_closing_disclosure_waiting_period_counts_from_presumed_receipt_of_a_mailed_cd():
    # Mailed Tue 11/24, presumed received Sat 11/28; then Mon 30, Tue 1, Wed 2.
    application = ApplicationFactory(closing_date=date(2026, 12, 1))
    closing_disclosure(application, date(2026, 11, 24), MAIL)
    assert closing_disclosure_waiting_period_met(application) is False
    application.closing_date = date(2026, 12, 2)
    assert closing_disclosure_waiting_period_met(application) is True


def test_closing_disclosure_waiting_period_restarts_with_a_revised_cd():
    application = ApplicationFactory(closing_date=date(2026, 11, 13))
    closing_disclosure(application, date(2026, 11, 9), IN_PERSON)
    assert closing_disclosure_waiting_period_met(application) is True
    closing_disclosure(application, date(2026, 11, 12), MAIL)  # presumed received Mon 16 -> earliest Thu 19
    assert closing_disclosure_waiting_period_met(application) is False
    application.closing_date = date(2026, 11, 19)
    assert closing_disclosure_waiting_period_met(application) is True


def test_closing_disclosure_waiting_period_without_a_closing_date_measures_against_today():
    application = ApplicationFactory(closing_date=None)
    closing_disclosure(application, date(2026, 11, 23), IN_PERSON)
    with today_is(date(2026, 11, 26)):
        assert closing_disclosure_waiting_period_met(application) is False
    with today_is(date(2026, 11, 27)):
        assert closing_disclosure_waiting_period_met(application) is True


def test_closing_disclosure_waiting_period_is_never_met_without_a_closing_disclosure():
    application = ApplicationFactory(closing_date=date(2027, 6, 1))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 3))
    assert closing_disclosure_waiting_period_met(application) is False


def test_observed_friday_holiday_counts_as_a_specific_business_day_for_cd_receipt():
    application = ApplicationFactory()
    closing_disclosure(application, date(2026, 7, 1), MAIL)  # Wed: Thu 2, Fri 3 (observed), (Sat 4), (Sun 5), Mon 6
    assert closing_disclosure_received_on(application) == date(2026, 7, 6)


# --- right of rescission (Reg Z 1026.23) ---------------------------------------------------------------


def refinance(purpose="refinance", occupancy="primary", closing_date=date(2026, 11, 24), product=None):
    application = ApplicationFactory(
        purpose=purpose, closing_date=closing_date, **({"product": product} if product else {})
    )
    PropertyFactory(application=application, occupancy=occupancy)
    return Application.objects.get(pk=application.pk)


@pytest.mark.parametrize(
    ("closing_date", "last_day", "first_funding_day"),
    [
        (date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 25)),  # Fri: Sat 21, (Sun), Mon 23, Tue 24
        (date(2026, 11, 24), date(2026, 11, 28), date(2026, 11, 29)),  # Tue: Wed 25, (Thanksgiving), Fri, Sat 28
    ],
)
@pytest.mark.parametrize("purpose", ["refinance", "cash_out"])
def test_rescission_period_over_after_midnight_of_the_third_specific_business_day(
    purpose, closing_date, last_day, first_funding_day
):
    application = refinance(purpose=purpose, closing_date=closing_date)
    with today_is(last_day):
        assert rescission_period_over(application) is False
    with today_is(first_funding_day):
        assert rescission_period_over(application) is True


@pytest.mark.parametrize(
    "kwargs",
    [
        {"purpose": "purchase"},  # residential mortgage transaction: exempt (1026.23(f)(1))
        {"occupancy": "second_home"},
        {"occupancy": "investment"},
        {"product": "consumer"},
    ],
    ids=["purchase", "second-home", "investment", "consumer-product"],
)
def test_rescission_does_not_apply_outside_a_principal_dwelling_refinance(kwargs):
    if kwargs.get("product") == "consumer":
        kwargs["product"] = ConsumerProductFactory()
    application = refinance(**kwargs)
    with today_is(date(2026, 11, 24)):  # closing day itself
        assert rescission_period_over(application) is True
        assert rescission_period_over(refinance()) is False  # the same day blocks a primary-dwelling refinance


def test_rescission_guard_without_a_subject_property_or_closing_date_does_not_block():
    with today_is(date(2026, 11, 24)):
        assert rescission_period_over(ApplicationFactory(purpose="refinance", closing_date=date(2026, 11, 24))) is True
        assert rescission_period_over(refinance(closing_date=None)) is True


def test_observed_friday_holiday_counts_toward_the_rescission_period():
    application = refinance(closing_date=date(2026, 7, 2))  # Fri 3 (observed), (Sat 4), (Sun), Mon 6, Tue 7
    with today_is(date(2026, 7, 8)):
        assert rescission_period_over(application) is True


# --- recording the closing (consummation) -------------------------------------------------------------


def signing(application, signed_on: date) -> ClosingSignature:
    return ClosingSignature.objects.create(
        application=application, signed_on=signed_on, recorded_by=UserFactory.create()
    )


def test_signing_recorded_counts_only_this_applications_signing():
    application = ApplicationFactory(closing_date=date(2026, 11, 13))
    signing(ApplicationFactory(closing_date=date(2026, 11, 13)), date(2026, 11, 13))
    assert signing_recorded(application) is False
    signing(application, date(2026, 11, 13))
    assert signing_recorded(application) is True


def closing_application_in_cd_wait():
    """In closing, scheduled Fri 2026-11-13, CD handed over Mon 11-09 (earliest consummation Fri 11-13), compliance
    passing."""
    application = park(complete_application(closing_date=date(2026, 11, 13)), workflow.CLOSING)
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 3))  # 7th business day: Thu 11-12
    closing_disclosure(application, date(2026, 11, 9), IN_PERSON)
    check(application, "cd_timing", "pass")
    return application


def test_close_waits_for_the_signing_and_measures_the_cd_wait_against_the_scheduled_date():
    closer = user_with_role(roles.CLOSER)
    application = closing_application_in_cd_wait()
    with today_is(date(2026, 11, 10)):  # one business day after the CD
        assert closing_date_reached(application) is False
        assert closing_disclosure_waiting_period_met(application) is True  # scheduled Fri 13 is far enough
        blocked = options_by_name(application, closer)["close"].blocked_by
        assert blocked == (
            "the closing is scheduled for Nov 13, 2026, not yet reached",
            "the signing on the scheduled closing date has not been recorded",
        )
    signing(application, date(2026, 11, 13))
    with today_is(date(2026, 11, 13)):
        assert options_by_name(application, closer)["close"].available is True


def test_close_is_blocked_when_the_borrowers_signed_inside_the_cd_wait():
    closer = user_with_role(roles.CLOSER)
    application = closing_application_in_cd_wait()
    signing(application, date(2026, 11, 10))  # signed Tue 11-10, then the closing was rescheduled to Fri 11-13
    with today_is(date(2026, 11, 13)):
        assert options_by_name(application, closer)["close"].available is False


# --- guard inventory and labels ------------------------------------------------------------------------

GUARDS = {name: obj for name, obj in vars(workflow).items() if callable(obj) and hasattr(obj, "label")}
TESTED_GUARDS = {
    "has_primary_borrower",
    "trid_items_complete",
    "submission_documents_verified",
    "credit_pulled",
    "findings_present",
    "approval_conditions_cleared",
    "has_open_conditions",
    "docs_conditions_cleared",
    "compliance_passes",
    "closing_date_set",
    "closing_disclosure_issued",
    "truth_in_lending_disclosure_given",
    "closing_disclosure_waiting_period_met",
    "loan_estimate_waiting_periods_met",
    "closing_date_reached",
    "closing_documents_ready",
    "signing_recorded",
    "funding_conditions_cleared",
    "rescission_period_over",
}


def test_every_guard_has_a_test_here():
    assert set(GUARDS) == TESTED_GUARDS, "a guard was added or removed: test it in tests/origination/test_guards.py"


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_guard_label_is_a_sentence(name):
    label = GUARDS[name].label
    assert isinstance(label, str)
    assert label == label.strip()
    assert label[0].isupper()
    assert len(label.split()) >= 4


def test_guard_labels_are_distinct_and_every_transition_condition_is_a_labelled_guard():
    labels = [g.label for g in GUARDS.values()]
    assert len(labels) == len(set(labels))
    conditions = {c for t in ApplicationFactory.build().get_all_status_transitions() for c in t.conditions}
    assert conditions <= set(GUARDS.values())


# --- who may fire each transition ----------------------------------------------------------------------

LO, PR, UW, CL, MG = roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER
STAFF_WHO_MAY_FIRE = {
    "submit": {LO, MG},
    "start_processing": {PR, LO, MG},
    "send_to_underwriting": {PR, MG},
    "approve": {UW, MG},
    "approve_with_conditions": {UW, MG},
    "suspend": {UW, MG},
    "deny": {UW, MG},
    "clear_to_close": {UW, CL, MG},
    "start_closing": {CL, MG},
    "close": {CL, MG},
    "fund": {CL, MG},
    "withdraw": {LO, PR, MG},
}
OWNER_MAY_FIRE = {"submit", "withdraw"}


def fsm_transition(application, name):
    return next(t for t in application.get_all_status_transitions() if t.name == name)


def test_every_transition_has_a_permission_rule_here():
    assert set(STAFF_WHO_MAY_FIRE) == set(workflow.TRANSITION_LABELS)


@pytest.mark.parametrize("name", list(STAFF_WHO_MAY_FIRE))
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_who_may_fire_each_transition(role, name):
    user = user_with_role(role)
    application = ApplicationFactory(applicant=user if role == roles.BORROWER else UserFactory())
    expected = role in STAFF_WHO_MAY_FIRE[name] or (role == roles.BORROWER and name in OWNER_MAY_FIRE)
    assert fsm_transition(application, name).has_perm(application, user) is expected


@pytest.mark.parametrize("name", list(STAFF_WHO_MAY_FIRE))
def test_a_borrower_may_fire_nothing_on_someone_elses_application(name):
    application = ApplicationFactory(applicant=user_with_role(roles.BORROWER))
    assert fsm_transition(application, name).has_perm(application, user_with_role(roles.BORROWER)) is False


def test_owning_an_application_without_the_borrower_role_grants_nothing():
    servicer = user_with_role(roles.SERVICER)
    application = ApplicationFactory(applicant=servicer)
    assert fsm_transition(application, "submit").has_perm(application, servicer) is False
    assert fsm_transition(application, "withdraw").has_perm(application, servicer) is False


@pytest.mark.parametrize("name", list(STAFF_WHO_MAY_FIRE))
def test_superusers_may_fire_everything_while_active_and_anonymous_users_nothing(name):
    application = ApplicationFactory()
    transition = fsm_transition(application, name)
    assert transition.has_perm(application, UserFactory(is_superuser=True)) is True
    assert transition.has_perm(application, UserFactory(is_superuser=True, is_active=False)) is False
    assert transition.has_perm(application, AnonymousUser()) is False


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_staff_helper_allows_its_roles_and_managers(role):
    may = _staff(roles.PROCESSOR, roles.CLOSER)
    assert may.roles == (roles.PROCESSOR, roles.CLOSER, roles.MANAGER)
    user = user_with_role(role)
    own = ApplicationFactory(applicant=user)
    assert may(own, user) is (role in {roles.PROCESSOR, roles.CLOSER, roles.MANAGER})


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_owner_or_staff_helper_allows_the_owning_borrower_its_roles_and_managers(role):
    may = _owner_or_staff(roles.LOAN_OFFICER)
    assert may.roles == (roles.BORROWER, roles.LOAN_OFFICER, roles.MANAGER)
    user = user_with_role(role)
    staff = role in {roles.LOAN_OFFICER, roles.MANAGER}
    assert may(ApplicationFactory(applicant=user), user) is (staff or role == roles.BORROWER)
    assert may(ApplicationFactory(), user) is staff


# --- transition_options --------------------------------------------------------------------------------


def options_by_name(application, user):
    return {o.name: o for o in transition_options(application, user)}


def test_transition_options_for_the_owner_of_an_incomplete_draft():
    borrower = user_with_role(roles.BORROWER)
    options = transition_options(ApplicationFactory(applicant=borrower), borrower)
    assert [o.name for o in options] == ["submit", "withdraw"]
    submit, withdraw = options
    assert (submit.label, submit.target, submit.allowed_for_user) == ("Submit application", "submitted", True)
    assert submit.blocked_by == (
        "no primary borrower is on the application",
        "the TRID application items are not complete (name, income, SSN, property, value, loan amount)",
    )
    assert submit.available is False
    assert (withdraw.target, withdraw.blocked_by, withdraw.available) == ("withdrawn", (), True)
    assert not submit.is_decision


def test_transition_options_on_a_complete_draft_by_role():
    borrower = user_with_role(roles.BORROWER)
    application = complete_application(applicant=borrower)
    assert options_by_name(application, borrower)["submit"].available is True
    assert list(options_by_name(application, user_with_role(roles.PROCESSOR))) == ["withdraw"]
    assert transition_options(application, user_with_role(roles.BORROWER)) == []
    assert transition_options(application, user_with_role(roles.SERVICER)) == []


def test_transition_options_in_underwriting_show_decisions_with_their_blockers():
    application = park(ApplicationFactory(), workflow.UNDERWRITING)
    FindingFactory(application=application)
    manager_options = transition_options(application, user_with_role(roles.MANAGER))
    assert [o.name for o in manager_options] == ["approve", "approve_with_conditions", "suspend", "deny", "withdraw"]
    assert [o.is_decision for o in manager_options] == [True, True, True, True, False]
    by_name = {o.name: o for o in manager_options}
    assert by_name["approve"].available is True
    # Read after "Approve with conditions is blocked: ": what is missing, not the requirement.
    no_condition = "no condition is open (add the conditions first, or approve)"
    assert by_name["approve_with_conditions"].blocked_by == (no_condition,)
    ConditionFactory(application=application, stage="prior_to_docs")
    by_name = options_by_name(application, user_with_role(roles.UNDERWRITER))
    assert list(by_name) == ["approve", "approve_with_conditions", "suspend", "deny"]
    assert by_name["approve"].available is True  # a prior-to-docs condition does not block approval
    assert by_name["approve_with_conditions"].available is True


def test_transition_options_from_conditionally_approved_are_in_workflow_order():
    application = park(ApplicationFactory(), workflow.CONDITIONALLY_APPROVED)
    FindingFactory(application=application)
    options = options_by_name(application, user_with_role(roles.MANAGER))
    assert list(options) == ["approve", "suspend", "deny", "clear_to_close", "withdraw"]
    assert options["clear_to_close"].blocked_by == ("the compliance checks have not been run",)
    check(application, "apr_tolerance", "pass")
    assert options_by_name(application, user_with_role(roles.CLOSER))["clear_to_close"].available is True


def test_transition_options_after_closing_offer_only_funding_and_nothing_once_funded():
    application = park(ApplicationFactory(purpose="purchase"), workflow.CLOSED)
    assert list(options_by_name(application, user_with_role(roles.MANAGER))) == ["fund"]
    assert options_by_name(application, user_with_role(roles.CLOSER))["fund"].available is True
    assert transition_options(application, user_with_role(roles.LOAN_OFFICER)) == []
    assert transition_options(park(application, workflow.FUNDED), user_with_role(roles.MANAGER)) == []


# --- what a blocked transition says (issue 9, item 8) -------------------------------------------------------


def test_a_blocked_send_to_underwriting_names_the_documents_not_verified_and_the_borrowers_without_credit():
    application = park(ApplicationFactory(), workflow.PROCESSING)
    BorrowerFactory(application=application, first_name="Ann", last_name="Lee")
    paystub = DocumentTypeFactory(code="paystub", name="Paystub")
    w2 = DocumentTypeFactory(code="w2", name="W-2")
    ProductDocumentFactory(product=application.product, document_type=w2)
    ProductDocumentFactory(product=application.product, document_type=paystub)
    Document.objects.create(application=application, document_type=w2, status=Document.Status.UPLOADED)
    FindingFactory(application=application)

    option = options_by_name(application, user_with_role(roles.PROCESSOR))["send_to_underwriting"]

    assert option.blocked_by == ("documents not verified: Paystub, W-2", "credit not pulled for: Ann Lee")


def test_a_blocked_transition_reads_what_is_missing_after_is_blocked():
    application = park(ApplicationFactory(), workflow.UNDERWRITING)
    FindingFactory(application=application)
    ConditionFactory(application=application, stage="prior_to_approval")
    ConditionFactory(application=application, stage="prior_to_approval")
    underwriter = user_with_role(roles.UNDERWRITER)
    with pytest.raises(TransitionBlocked) as blocked:
        application_transition(application=application, name="approve", actor=underwriter)
    assert blocked.value.explained() == "Approve is blocked: 2 prior-to-approval conditions are open."

    application.conditions.update(status="cleared")
    with pytest.raises(TransitionBlocked) as blocked:
        application_transition(application=application, name="approve_with_conditions", actor=underwriter)
    assert blocked.value.explained() == (
        "Approve with conditions is blocked: no condition is open (add the conditions first, or approve)."
    )


def test_a_refinance_names_the_last_day_of_the_right_to_rescind_and_the_first_funding_day():
    application = park(refinance(closing_date=date(2026, 11, 13)), workflow.CLOSED)
    # Closed Fri 11/13: rescission runs Sat 11/14, Mon 11/16, Tue 11/17; funds move Wed 11/18.
    assert workflow.rescission_ends_on(application) == date(2026, 11, 17)
    assert workflow.earliest_funding_date(application) == date(2026, 11, 18)
    with today_is(date(2026, 11, 17)):
        fund = options_by_name(application, user_with_role(roles.CLOSER))["fund"]
    assert fund.blocked_by == ("the right to rescind runs through Nov 17, 2026",)


def test_a_closing_inside_the_cd_wait_names_the_receipt_and_the_earliest_closing():
    application = closing_application_in_cd_wait()
    Application.objects.filter(pk=application.pk).update(closing_date=date(2026, 11, 12))
    application = Application.objects.get(pk=application.pk)
    with today_is(date(2026, 11, 12)):
        close = options_by_name(application, user_with_role(roles.CLOSER))["close"]
    assert close.blocked_by == (
        "the signing on the scheduled closing date has not been recorded",
        "the Closing Disclosure was received Nov 9, 2026: closing allowed from Fri Nov 13, 2026",
    )
