"""credit_pull: one stored report per borrower, all or nothing, audited without the SSN, roles and states."""

import json

import pytest
from django.core.exceptions import PermissionDenied

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import CreditReport
from origination.services.credit import CreditPullError, credit_pull
from tests.core.factories import user_with_role
from tests.origination.factories import BorrowerFactory
from tests.origination.factories_underwriting import underwriting_application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [roles.PROCESSOR, roles.UNDERWRITER, roles.MANAGER])
def test_pull_stores_a_report_for_every_borrower_and_audits_it(role):
    application = underwriting_application("processing")
    BorrowerFactory(application=application, is_primary=False, ssn="999-00-0001", ssn_last4="0001")
    actor = user_with_role(role)
    reports = credit_pull(actor=actor, application=application)
    assert [r.score for r in reports] == [740, None]  # primary first; the co-borrower is a no-hit
    assert CreditReport.objects.filter(application=application).count() == 2
    assert all(r.is_sandbox and r.bureau == "Sandbox bureau (test data)" for r in reports)
    assert reports[0].raw["score_range"] == [300, 850]
    assert reports[0].raw["bureau_contact"]["name"]
    events = AuditEvent.objects.filter(verb="credit.pulled")
    assert events.count() == 2
    assert events.first().actor == actor
    dumped = json.dumps([e.after for e in events]) + json.dumps([r.raw for r in reports])
    assert "123-45-0240" not in dumped
    assert "123450240" not in dumped


def test_a_missing_ssn_is_a_clear_error_and_stores_nothing():
    application = underwriting_application("processing")
    BorrowerFactory(application=application, is_primary=False, first_name="Cy", last_name="Doe", ssn="", ssn_last4="")
    with pytest.raises(CreditPullError, match="No SSN on file for Cy Doe"):
        credit_pull(actor=user_with_role(roles.PROCESSOR), application=application)
    assert not CreditReport.objects.exists()


def test_a_frozen_file_fails_the_whole_pull():
    application = underwriting_application("processing")
    BorrowerFactory(application=application, is_primary=False, ssn="999-00-0002", ssn_last4="0002")
    with pytest.raises(CreditPullError, match="frozen"):
        credit_pull(actor=user_with_role(roles.PROCESSOR), application=application)
    assert not CreditReport.objects.exists()
    assert not AuditEvent.objects.filter(verb="credit.pulled").exists()


@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.CLOSER, roles.SERVICER, roles.BORROWER])
def test_other_roles_may_not_pull(role):
    with pytest.raises(PermissionDenied):
        credit_pull(actor=user_with_role(role), application=underwriting_application("processing"))


@pytest.mark.parametrize("status", ["draft", "denied", "withdrawn", "clear_to_close"])
def test_no_pull_outside_the_working_states(status):
    with pytest.raises(CreditPullError, match="cannot be pulled"):
        credit_pull(actor=user_with_role(roles.PROCESSOR), application=underwriting_application(status))


def test_no_borrowers_is_an_error():
    from tests.origination.factories import ApplicationFactory
    from tests.origination.factories_underwriting import park

    application = park(ApplicationFactory(), "processing")
    with pytest.raises(CreditPullError, match="no borrowers"):
        credit_pull(actor=user_with_role(roles.PROCESSOR), application=application)


def test_the_configured_adapter_is_used(settings):
    settings.LENDING_CREDIT_BUREAU = "tests.origination.test_credit_sandbox.FixedBureau"
    (report,) = credit_pull(actor=user_with_role(roles.PROCESSOR), application=underwriting_application("processing"))
    assert (report.bureau, report.score, report.is_sandbox) == ("Fixed test bureau", 701, False)
