"""TRID waiting periods before consummation (1026.19(e)(1)(iii)(B), (e)(4)(ii)), counted in specific business days
(every day but Sundays and federal holidays): the dates, the compliance checks that show the first allowed date on
the workspace, the guard that blocks closing with it, and the refusal of a revised Loan Estimate after the CD.

Dates around Thanksgiving (Thu 2026-11-26) and in December 2026 (Sun Dec 13)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.urls import reverse

from lending.core import roles
from origination import trid, workflow
from origination.models import ClosingSignature, ComplianceCheck, Disclosure
from origination.services.compliance import check_context, compliance_run
from origination.services.compliance.timing import le_waiting_period, revised_le_timing
from origination.services.disclosures import disclosure_issue
from origination.services.figures import DisclosureError
from origination.workflow import loan_estimate_waiting_periods_met, transition_options
from tests.core.factories import user_with_role
from tests.origination.factories import (
    ApplicationFactory,
    BorrowerFactory,
    ConsumerProductFactory,
    LoanProductFactory,
    PropertyFactory,
    complete_application,
)
from tests.origination.factories_compliance import DisclosureFactory, Team, approved_application
from tests.origination.factories_underwriting import park

pytestmark = pytest.mark.django_db
LE, CD = Disclosure.Kind.LOAN_ESTIMATE, Disclosure.Kind.CLOSING_DISCLOSURE
MAIL, EMAIL, IN_PERSON = Disclosure.Delivery.MAIL, Disclosure.Delivery.EMAIL, Disclosure.Delivery.IN_PERSON
MON_DEC_7 = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def mortgage(closing_date=None, product=None, amount=Decimal("300000.00")):
    application = ApplicationFactory(
        application_date=date(2026, 11, 16),
        amount_requested=amount,
        product=product or LoanProductFactory(),
        closing_date=closing_date,
    )
    BorrowerFactory(application=application)
    PropertyFactory(application=application)
    return application


def run(check, application, today=date(2026, 12, 7)):
    return check(check_context(application, today))


# --- the dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_on", "delivery", "allowed"),
    [
        (MON_DEC_7, MAIL, date(2026, 12, 15)),  # 8, 9, 10, 11, Sat 12, (Sun 13), 14, Tue 15
        (MON_DEC_7, IN_PERSON, date(2026, 12, 15)),  # the wait runs from delivery or mailing, not receipt
        (date(2026, 11, 20), MAIL, date(2026, 11, 30)),  # Sat 21, 23, 24, 25, (Thanksgiving), 27, Sat 28, Mon 30
    ],
)
def test_consummation_waits_seven_specific_business_days_after_the_loan_estimate(issued_on, delivery, allowed):
    le = DisclosureFactory.build(kind=LE, issued_on=issued_on, delivery=delivery)
    assert trid.after_initial_loan_estimate(le) == allowed


def test_a_revised_loan_estimate_must_be_received_four_business_days_before_consummation():
    # E-mailed Wed Dec 9: presumed received Sat Dec 12 (10, 11, 12); then 14, 15, 16, Thu 17.
    revised = DisclosureFactory.build(kind=LE, issued_on=date(2026, 12, 9), delivery=EMAIL)
    assert trid.after_revised_loan_estimate(revised) == date(2026, 12, 17)
    revised.received_on = date(2026, 12, 9)  # actual receipt the same day: 10, 11, 12, Mon 14
    assert trid.after_revised_loan_estimate(revised) == date(2026, 12, 14)


def test_the_first_allowed_date_is_said_the_same_way_everywhere():
    assert trid.allowed_from(date(2026, 12, 15)) == "closing allowed from Tue Dec 15, 2026"


# --- the checks ------------------------------------------------------------------------------------------


def test_le_waiting_period_fails_a_closing_before_the_seventh_business_day_and_passes_on_it():
    application = mortgage(closing_date=date(2026, 12, 14))
    DisclosureFactory(application=application, kind=LE, issued_on=MON_DEC_7, delivery=MAIL)
    outcome = run(le_waiting_period, application)
    assert outcome.result == "fail"
    assert outcome.explanation == (
        "Loan Estimate delivered or mailed 2026-12-07; closing allowed from Tue Dec 15, 2026, after the scheduled "
        "closing on 2026-12-14: move the closing date."
    )
    application.closing_date = date(2026, 12, 15)
    application.save()
    outcome = run(le_waiting_period, application)
    assert outcome.result == "pass"
    assert outcome.explanation == (
        "Loan Estimate delivered or mailed 2026-12-07; closing allowed from Tue Dec 15, 2026; closing on 2026-12-15."
    )


def test_le_waiting_period_shows_the_first_allowed_date_before_a_closing_is_scheduled():
    application = mortgage()
    DisclosureFactory(application=application, kind=LE, issued_on=MON_DEC_7, delivery=MAIL)
    outcome = run(le_waiting_period, application)
    assert (outcome.result, outcome.details["earliest_consummation"]) == ("n/a", "2026-12-15")
    assert "closing allowed from Tue Dec 15, 2026" in outcome.explanation


def test_le_waiting_period_without_a_loan_estimate_fails_once_one_issued_today_is_too_late():
    application = mortgage(closing_date=date(2026, 12, 14))
    assert run(le_waiting_period, application, today=date(2026, 12, 4)).result == "n/a"  # Fri 4 + 7 = Sat 12
    assert run(le_waiting_period, application, today=date(2026, 12, 7)).result == "fail"  # Mon 7 + 7 = Tue 15


def test_revised_le_received_too_late_for_the_closing_fails_with_the_first_allowed_date():
    application = mortgage(closing_date=date(2026, 12, 16))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 17), delivery=MAIL)
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 12, 9), delivery=EMAIL)
    outcome = run(revised_le_timing, application)
    assert outcome.result == "fail"
    assert outcome.explanation == (
        "Revised Loan Estimate of 2026-12-09 presumed received 2026-12-12; closing allowed from Thu Dec 17, 2026; "
        "it is not received 4 business days before the scheduled closing on 2026-12-16."
    )
    application.closing_date = date(2026, 12, 17)
    application.save()
    assert run(revised_le_timing, application).result == "pass"


def test_revised_le_on_the_day_of_the_closing_disclosure_fails():
    application = mortgage(closing_date=date(2026, 12, 28))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 17))
    DisclosureFactory(application=application, kind=CD, issued_on=date(2026, 12, 9), delivery=IN_PERSON)
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 12, 9), delivery=IN_PERSON)
    outcome = run(revised_le_timing, application, today=date(2026, 12, 10))
    assert outcome.result == "fail"
    assert "a revised Loan Estimate was issued 2026-12-09, on or after the Closing Disclosure of 2026-12-09" in (
        outcome.explanation
    )


def test_waiting_period_checks_do_not_apply_to_other_products_or_without_a_revision():
    consumer = mortgage(product=ConsumerProductFactory(), amount=Decimal("10000.00"))
    assert run(le_waiting_period, consumer).result == "n/a"
    assert run(revised_le_timing, consumer).result == "n/a"
    application = mortgage()
    DisclosureFactory(application=application, kind=LE, issued_on=MON_DEC_7)
    assert run(revised_le_timing, application).explanation == "No revised Loan Estimate."


def test_the_workspace_shows_each_waiting_period_with_its_first_allowed_date(client):
    application = mortgage(closing_date=date(2026, 12, 14))
    DisclosureFactory(application=application, kind=LE, issued_on=MON_DEC_7, delivery=MAIL)
    compliance_run(application=application, today=date(2026, 12, 7))
    client.force_login(user_with_role(roles.CLOSER))
    page = client.get(reverse("origination:compliance-panel", args=[application.pk])).content.decode()
    assert "Consummation 7 business days after the Loan Estimate is delivered or mailed" in page
    assert "closing allowed from Tue Dec 15, 2026, after the scheduled closing on 2026-12-14" in page


# --- the closing guard and the service -------------------------------------------------------------------


def in_closing(closing_date: date):
    application = park(complete_application(closing_date=closing_date), workflow.CLOSING)
    ClosingSignature.objects.create(application=application, signed_on=closing_date, recorded_by=Team().closer)
    DisclosureFactory(application=application, kind=CD, issued_on=date(2026, 12, 1), delivery=IN_PERSON)
    ComplianceCheck.objects.create(application=application, code="cd_timing", result="pass", explanation="ok")
    return application


def test_closing_is_blocked_until_the_loan_estimate_wait_is_over_and_says_from_when():
    closer = user_with_role(roles.CLOSER)
    application = in_closing(date(2026, 12, 14))
    DisclosureFactory(application=application, kind=LE, issued_on=MON_DEC_7, delivery=MAIL)
    with patch("django.utils.timezone.localdate", return_value=date(2026, 12, 14)):
        assert loan_estimate_waiting_periods_met(application) is False
        close = next(o for o in transition_options(application, closer) if o.name == "close")
        assert close.blocked_by == (
            "the Loan Estimate waiting periods have not passed (7 business days after the Loan Estimate, 4 after "
            "receipt of a revised one): closing allowed from Tue Dec 15, 2026",
        )
    application.closing_date = date(2026, 12, 15)
    application.save()
    ClosingSignature.objects.filter(application=application).update(signed_on=date(2026, 12, 15))
    with patch("django.utils.timezone.localdate", return_value=date(2026, 12, 15)):
        assert loan_estimate_waiting_periods_met(application) is True
        close = next(o for o in transition_options(application, closer) if o.name == "close")
        assert close.available is True


def test_the_loan_estimate_guard_counts_a_revised_estimate_and_ignores_other_products():
    application = in_closing(date(2026, 12, 16))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 17))
    assert loan_estimate_waiting_periods_met(application) is True
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 12, 9), delivery=EMAIL)
    assert loan_estimate_waiting_periods_met(application) is False  # allowed from Thu Dec 17
    consumer = park(complete_application(product=ConsumerProductFactory()), workflow.CLOSING)
    assert loan_estimate_waiting_periods_met(consumer) is True


def test_no_revised_loan_estimate_on_or_after_the_day_the_closing_disclosure_is_provided():
    team = Team()
    application = approved_application(team=team)
    with patch("django.utils.timezone.localdate", return_value=date(2026, 11, 12)):
        disclosure_issue(
            actor=team.closer, application=application, kind=CD, issued_on=date(2026, 11, 10), delivery=IN_PERSON
        )
        with pytest.raises(DisclosureError) as refused:
            disclosure_issue(
                actor=team.loan_officer, application=application, kind=LE, issued_on=date(2026, 11, 10), delivery=MAIL
            )
    assert str(refused.value) == (
        "A revised Loan Estimate cannot be provided on or after the day the Closing Disclosure was provided "
        "(2026-11-10, 1026.19(e)(4)(ii)): issue a corrected Closing Disclosure instead."
    )
    assert application.disclosures.filter(kind=LE).count() == 1
