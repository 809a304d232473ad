"""The workflow service: permissions by role, guards that block with reasons, logs, audit and signals."""

import pytest
from django.core.exceptions import PermissionDenied

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Application, TransitionLog
from origination.services.workflow import StaleApplication, TransitionBlocked, application_transition
from origination.signals import application_transitioned
from origination.workflow import transition_options
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, complete_application

pytestmark = pytest.mark.django_db


def test_owner_submits_a_complete_application_logged_audited_and_announced(django_capture_on_commit_callbacks):
    borrower = user_with_role(roles.BORROWER)
    application = complete_application(applicant=borrower)
    received = []
    application_transitioned.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t1")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            application_transition(application=application, name="submit", actor=borrower, note="here you go")
    finally:
        application_transitioned.disconnect(dispatch_uid="t1")
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.submitted_at is not None
    log = TransitionLog.objects.get()
    assert (log.actor, log.from_status, log.to_status, log.note) == (borrower, "draft", "submitted", "here you go")
    event = AuditEvent.objects.get(verb="application.submit")
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "submitted"})
    assert [(r["transition"], r["from_status"], r["to_status"]) for r in received] == [("submit", "draft", "submitted")]


def test_incomplete_application_is_blocked_with_the_guard_named():
    borrower = user_with_role(roles.BORROWER)
    application = ApplicationFactory(applicant=borrower)
    with pytest.raises(TransitionBlocked) as blocked:
        application_transition(application=application, name="submit", actor=borrower)
    assert blocked.value.reasons == (
        "no primary borrower is on the application",
        "the TRID application items are not complete (name, income, SSN, property, value, loan amount)",
    )
    assert Application.objects.get().status == "draft"
    assert TransitionLog.objects.count() == 0


def test_another_borrower_may_not_submit_someone_elses_application():
    application = complete_application(applicant=user_with_role(roles.BORROWER))
    with pytest.raises(PermissionDenied):
        application_transition(application=application, name="submit", actor=user_with_role(roles.BORROWER))


@pytest.mark.parametrize("role", [roles.UNDERWRITER, roles.SERVICER, roles.COLLECTOR, roles.CLOSER])
def test_roles_without_the_permission_cannot_start_processing(role):
    application = complete_application()
    application_transition(application=application, name="submit", actor=user_with_role(roles.LOAN_OFFICER))
    with pytest.raises(PermissionDenied):
        application_transition(application=application, name="start_processing", actor=user_with_role(role))


def test_transition_from_the_wrong_state_is_refused_plainly():
    application = complete_application()
    with pytest.raises(TransitionBlocked, match="not possible from Draft"):
        application_transition(application=application, name="fund", actor=user_with_role(roles.CLOSER))


def test_deny_needs_a_reason():
    application = complete_application()
    with pytest.raises(TransitionBlocked, match="needs a reason"):
        application_transition(application=application, name="deny", actor=user_with_role(roles.UNDERWRITER))


def test_a_stale_page_loses_and_is_told_who_won():
    officer = user_with_role(roles.LOAN_OFFICER)
    application = complete_application()
    stale_copy = Application.objects.get(pk=application.pk)
    application_transition(application=application, name="submit", actor=officer)
    with pytest.raises(StaleApplication, match="Submitted"):
        application_transition(application=stale_copy, name="withdraw", actor=officer, note="dup")
    assert Application.objects.get().status == "submitted"


def test_concurrent_transition_on_an_old_instance_is_rejected_by_the_database():
    officer = user_with_role(roles.LOAN_OFFICER)
    application = complete_application()
    stale_copy = Application.objects.get(pk=application.pk)
    application_transition(application=application, name="submit", actor=officer)
    # The stale copy still believes it is a draft: the optimistic lock (status in the UPDATE) stops it.
    with pytest.raises(StaleApplication):
        application_transition(application=stale_copy, name="submit", actor=officer)
    assert TransitionLog.objects.count() == 1


def test_transition_options_show_only_what_the_role_may_fire_and_why_it_is_blocked():
    application = ApplicationFactory()
    officer_options = {o.name: o for o in transition_options(application, user_with_role(roles.LOAN_OFFICER))}
    assert set(officer_options) == {"submit", "withdraw"}
    assert not officer_options["submit"].available
    assert officer_options["withdraw"].available
    assert transition_options(application, user_with_role(roles.UNDERWRITER)) == []


def test_a_transition_does_not_overwrite_fields_changed_elsewhere():
    officer = user_with_role(roles.LOAN_OFFICER)
    application = complete_application()
    Application.objects.filter(pk=application.pk).update(closing_date="2026-12-15")
    application_transition(application=application, name="submit", actor=officer)  # instance has no closing date
    assert str(Application.objects.get(pk=application.pk).closing_date) == "2026-12-15"


def test_closing_cannot_be_recorded_before_the_scheduled_date():
    from datetime import timedelta

    from django.utils import timezone

    from origination.workflow import closing_date_reached

    application = complete_application()
    assert not closing_date_reached(application)
    application.closing_date = timezone.localdate() + timedelta(days=3)
    assert not closing_date_reached(application)
    application.closing_date = timezone.localdate()
    assert closing_date_reached(application)


def test_the_processor_who_starts_processing_is_assigned_and_an_existing_one_is_kept():
    officer, processor = user_with_role(roles.LOAN_OFFICER), user_with_role(roles.PROCESSOR)
    application = complete_application()
    application_transition(application=application, name="submit", actor=officer)
    application_transition(application=application, name="start_processing", actor=processor)
    assert Application.objects.get(pk=application.pk).processor == processor
    other = complete_application(processor=user_with_role(roles.PROCESSOR))
    application_transition(application=other, name="submit", actor=officer)
    application_transition(application=other, name="start_processing", actor=processor)
    assert Application.objects.get(pk=other.pk).processor != processor
