"""Contract terms come from the closing: a product edited between closing and funding does not reach the loan;
a funded application whose boarding failed is boarded later by ``manage.py board_loans`` or the admin action,
once (boarding again posts nothing)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lending.core import roles
from origination.models import Application
from origination.services.closing import closing_signing_record, loan_fund
from servicing.models import Installment, JournalEntry, LoanAccount
from servicing.services import onboarding
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory
from tests.origination.factories_compliance import Team, closed_application, in_closing_application
from tests.servicing.factories import CLOSING_DATE

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _closed(**kwargs):
    team = Team()
    return closed_application(team=team, **kwargs), team


def _fund(application, team):
    return loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="FW-1")


def _edit_product(product):
    product.annual_rate = D("9.2500")
    product.term_periods = 180
    product.late_fee_percent = D("10.0000")
    product.grace_days = 5
    product.allocation_strategy = "principal_interest_fees"
    product.name = "Renamed after closing"
    product.save()


def _counts():
    return (LoanAccount.objects.count(), Installment.objects.count(), JournalEntry.objects.count())


def test_a_product_edit_after_closing_does_not_reach_the_loan(django_capture_on_commit_callbacks):
    product = LoanProductFactory(annual_rate=D("6.5000"), term_periods=360, late_fee_percent=D("5.0000"), grace_days=15)
    application, team = _closed(product=product)
    signed = {"strategy": product.allocation_strategy, "name": product.name}
    _edit_product(product)
    with django_capture_on_commit_callbacks(execute=True):
        _fund(application, team)
    loan = LoanAccount.objects.get(application=application)
    assert (loan.annual_rate, loan.term_periods, loan.late_fee_percent, loan.grace_days) == (
        D("6.5000"),
        360,
        D("5.0000"),
        15,
    )
    assert (loan.allocation_strategy, loan.product_name) == (signed["strategy"], signed["name"])
    assert loan.regular_payment == D("1896.20")  # $300,000 at 6.5 % over 30 years, as disclosed
    assert loan.installments.count() == 360
    cd = application.disclosures.get(kind="closing_disclosure")
    assert (cd.annual_rate, cd.monthly_payment) == (loan.annual_rate, loan.regular_payment)


def test_the_signed_terms_are_kept_when_the_signing_is_corrected():
    product = LoanProductFactory(annual_rate=D("6.5000"))
    team = Team()
    application = in_closing_application(team=team, product=product)
    closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE, location="Branch")
    _edit_product(product)
    signature = closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE)
    assert (signature.terms["annual_rate"], signature.terms["term_periods"]) == ("6.5000", 360)


def test_a_failed_boarding_is_boarded_once_by_the_command(django_capture_on_commit_callbacks, monkeypatch, caplog):
    application, team = _closed()
    real = onboarding.loan_onboard

    def refuse(**kwargs):
        raise onboarding.OnboardingError("the servicing database was unreachable")

    monkeypatch.setattr("servicing.receivers.loan_onboard", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        _fund(application, team)
    assert Application.objects.get(pk=application.pk).status == "funded"
    assert _counts() == (0, 0, 0)
    monkeypatch.setattr("servicing.receivers.loan_onboard", real)

    out = StringIO()
    call_command("board_loans", stdout=out)
    loan = LoanAccount.objects.get(application=application)
    assert out.getvalue().splitlines() == [
        f"{application.number}: boarded as {loan.loan_number}",
        "1 boarded, 0 already boarded, 0 failed.",
    ]
    after = _counts()
    assert after == (1, 360, 2)  # the loan, its schedule, the disbursement and the escrow deposit

    again = StringIO()
    call_command("board_loans", stdout=again)
    assert again.getvalue().splitlines() == ["0 boarded, 0 already boarded, 0 failed."]
    by_id = StringIO()
    call_command("board_loans", application=application.pk, stdout=by_id)
    assert by_id.getvalue().splitlines() == [
        f"{application.number}: already boarded as {loan.loan_number}",
        "0 boarded, 1 already boarded, 0 failed.",
    ]
    assert _counts() == after


def test_the_command_reports_what_still_cannot_be_boarded(django_capture_on_commit_callbacks, monkeypatch):
    application, team = _closed()
    monkeypatch.setattr("servicing.receivers.loan_onboard", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        _fund(application, team)

    def refuse(**kwargs):
        raise onboarding.OnboardingError("the escrow items do not add up")

    monkeypatch.setattr(onboarding, "loan_onboard", refuse)
    out = StringIO()
    with pytest.raises(CommandError, match="1 funded application"):
        call_command("board_loans", stdout=out)
    assert out.getvalue().splitlines()[0] == f"{application.number}: not boarded: the escrow items do not add up"
    assert _counts() == (0, 0, 0)
    with pytest.raises(CommandError, match="No funded application with id 999999"):
        call_command("board_loans", application=999999, stdout=StringIO())


def test_the_admin_action_boards_a_funded_application_once(client, django_capture_on_commit_callbacks, monkeypatch):
    application, team = _closed()
    monkeypatch.setattr("servicing.receivers.loan_onboard", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        _fund(application, team)
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_fundedapplication_changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    assert application.number in listing.content.decode()
    data = {"action": "board_selected", "_selected_action": [application.pk]}
    response = client.post(url, data, follow=True)
    loan = LoanAccount.objects.get(application=application)
    assert f"{application.number}: boarded as {loan.loan_number}" in response.content.decode()
    assert application.number not in client.get(url).content.decode().split("<tbody>")[-1]
    counts = _counts()
    client.post(url, data, follow=True)  # a stale page submitted again
    assert _counts() == counts


def test_the_boarding_screen_lists_the_funded_not_boarded_newest_first(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("servicing.receivers.loan_onboard", lambda **kwargs: None)
    funded = []
    for _ in range(3):
        application, team = _closed()
        with django_capture_on_commit_callbacks(execute=True):
            _fund(application, team)
        funded.append(application)
    onboarding.loan_onboard(application=funded[1], actor=user_with_role(roles.SERVICER))  # boarded: not listed
    client.force_login(user_with_role(roles.SERVICER))
    listing = client.get(reverse("admin:servicing_fundedapplication_changelist"))
    assert [a.number for a in listing.context["cl"].result_list] == [funded[2].number, funded[0].number]


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.LOAN_OFFICER, roles.CLOSER])
def test_only_servicers_and_managers_reach_the_boarding_screen(client, role):
    user = user_with_role(role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get(reverse("admin:servicing_fundedapplication_changelist")).status_code == 403
