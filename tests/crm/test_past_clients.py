"""After closing: past clients from loan_funded, the yearly check-in, refinance alerts with their saving,
loan_paid_off's follow-up, and referrals credited to the past client."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from crm import selectors
from crm.models import Activity, FollowUp, MarketRate, PastClient, ReferralPartner
from crm.services import past_clients
from crm.services.past_clients import refinance_payment_saving
from lending.core import roles
from origination.models import Application
from origination.signals import loan_funded
from servicing.models import LoanAccount
from servicing.signals import loan_paid_off
from tests.core.factories import user_with_role
from tests.crm.factories import ContactFactory, LeadFactory
from tests.servicing.factories import boarded_loan, funded_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(officer):
    """A boarded 30-year mortgage: 300,000.00 at 6.5 %, first payment 1 Jan 2027 (360 installments to come)."""
    loan = boarded_loan(loan_officer=officer)
    Application.objects.filter(pk=loan.application_id).update(funded_at="2026-11-13T15:00:00Z")
    return loan


@pytest.fixture
def past_client(loan):
    return past_clients.past_client_from_funding(application_id=loan.application_id)


# --- loan_funded ----------------------------------------------------------------------------------------


def test_loan_funded_makes_the_borrower_a_past_client_with_the_loan_and_a_referral_partner(
    officer, django_capture_on_commit_callbacks
):
    application = funded_application(loan_officer=officer)
    borrower = application.borrowers.get(is_primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        loan_funded.send(sender=Application, application=application, funding=None, actor=user_with_role(roles.CLOSER))
        loan_funded.send(sender=Application, application=application, funding=None, actor=None)  # twice: once
    client = PastClient.objects.select_related("contact").get()
    assert client.application_id == application.pk
    assert client.loan == LoanAccount.objects.get(application=application)  # servicing boarded it first
    assert client.officer == officer
    assert client.product_kind == "mortgage"
    assert client.contact.email_normalized == borrower.email.lower()
    partner = ReferralPartner.objects.get(contact=client.contact)
    assert (partner.kind, partner.name) == ("past_client", client.contact.full_name)
    assert Activity.objects.filter(contact=client.contact, subject__startswith="Loan funded").count() == 1


def test_a_converted_lead_keeps_its_contact_as_the_past_client(loan, officer):
    contact = ContactFactory(first_name="Ana", last_name="Lopez")
    LeadFactory(contact=contact, officer=officer, application_id=loan.application_id, stage="won")
    client = past_clients.past_client_from_funding(application_id=loan.application_id)
    assert client.contact == contact


def test_an_application_not_funded_makes_no_past_client():
    application = funded_application()
    Application.objects.filter(pk=application.pk).update(funded_at=None)
    assert past_clients.past_client_from_funding(application_id=application.pk) is None


def test_a_past_clients_referral_is_credited_to_them(past_client, officer):
    partner = ReferralPartner.objects.get(contact=past_client.contact)
    LeadFactory(officer=officer, referral_partner=partner)
    assert selectors.partner_stats(partner)["referred"] == 1


# --- anniversaries --------------------------------------------------------------------------------------


def _client_funded_on(day, officer):
    client = PastClient.objects.create(
        contact=ContactFactory(first_name="Ana", last_name="Lopez"),
        application=funded_application(),
        officer=officer,
        product_kind="mortgage",
        funded_on=day,
    )
    return client


def test_the_yearly_check_in_falls_on_the_anniversary_once_a_year(officer, django_capture_on_commit_callbacks):
    client = _client_funded_on(date(2025, 3, 2), officer)
    assert past_clients.anniversary_check_ins(today=date(2026, 3, 1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert past_clients.anniversary_check_ins(today=date(2026, 3, 2)) == 1
        assert past_clients.anniversary_check_ins(today=date(2026, 3, 2)) == 0  # the job ran twice
    follow_up = FollowUp.objects.get()
    assert (follow_up.kind, follow_up.key, follow_up.due_date, follow_up.officer) == (
        "anniversary",
        "2026",
        date(2026, 3, 2),
        officer,
    )
    assert follow_up.title == "1-year loan anniversary: check in with Ana Lopez"
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert past_clients.anniversary_check_ins(today=date(2027, 3, 2)) == 1
    assert FollowUp.objects.filter(past_client=client).count() == 2


def test_the_funding_day_itself_is_no_anniversary(officer):
    _client_funded_on(date(2026, 3, 2), officer)
    assert past_clients.anniversary_check_ins(today=date(2026, 3, 2)) == 0


def test_a_loan_funded_on_29_february_is_checked_on_28_february_in_common_years(officer):
    _client_funded_on(date(2024, 2, 29), officer)
    assert past_clients.anniversary_check_ins(today=date(2025, 2, 28)) == 1
    assert past_clients.anniversary_check_ins(today=date(2028, 2, 28)) == 0  # a leap year: the 29th
    assert past_clients.anniversary_check_ins(today=date(2028, 2, 29)) == 1


# --- refinance ------------------------------------------------------------------------------------------


def test_the_saving_is_the_payment_at_the_loans_rate_minus_the_payment_at_the_market_rate():
    # 200,000 over 360 months: at 7 %, r = 0.07/12, P = 200000 r / (1 - (1 + r)^-360) = 1,330.60;
    # at 6 %, r = 0.005, (1.005)^360 = 6.022575, P = 1000 * 6.022575 / 5.022575 = 1,199.10; saving 131.50.
    saving = refinance_payment_saving(
        balance=Decimal("200000.00"), loan_rate=Decimal("7"), market_rate=Decimal("6"), remaining_periods=360
    )
    assert saving == Decimal("131.50")
    # 300,000 over 360 months: 6.5 % -> 1,896.20; 5.75 % -> 1,750.72; saving 145.48.
    assert refinance_payment_saving(
        balance=Decimal("300000.00"), loan_rate=Decimal("6.5"), market_rate=Decimal("5.75"), remaining_periods=360
    ) == Decimal("145.48")


def _rate(value: str, effective: date, term: int = 360) -> MarketRate:
    return MarketRate.objects.create(
        product_kind="mortgage", term_periods=term, annual_rate=Decimal(value), effective_date=effective
    )


def test_a_market_rate_75_bp_below_the_loan_alerts_the_officer_once_with_the_saving(
    past_client, officer, django_capture_on_commit_callbacks
):
    _rate("5.7500", date(2026, 11, 20))  # 6.50 - 5.75 = 0.75: exactly 75 basis points
    with django_capture_on_commit_callbacks(execute=True):
        assert past_clients.refinance_alerts(today=date(2026, 12, 1)) == 1
        assert past_clients.refinance_alerts(today=date(2026, 12, 2)) == 0  # the same rate: once
    alert = FollowUp.objects.get(kind="refinance")
    assert alert.monthly_saving == Decimal("145.48")  # 1,896.20 - 1,750.72 on 300,000.00 over 360 payments
    assert alert.officer == officer
    name = past_client.contact.full_name
    assert alert.title == f"Refinance alert: {name} could save $145.48 a month"
    assert alert.details == (
        f"Loan {past_client.loan.loan_number} at 6.5%; the market rate is 5.75%. Refinancing the balance of "
        "$300,000.00 over the remaining 360 payments would lower the payment by about $145.48."
    )
    assert mail.outbox[-1].subject == alert.title
    assert mail.outbox[-1].to == [officer.email]
    # A newer, lower rate is news: another alert. 300,000 at 5.5 % -> 1,703.37; saving 192.83.
    _rate("5.5000", date(2026, 12, 10))
    assert past_clients.refinance_alerts(today=date(2026, 12, 10)) == 1
    assert FollowUp.objects.filter(kind="refinance").latest("id").monthly_saving == Decimal("192.83")


def test_no_alert_under_the_threshold_for_another_term_or_before_the_rate_takes_effect(past_client, settings):
    _rate("5.7600", date(2026, 11, 20))  # 74 basis points below
    _rate("4.0000", date(2026, 11, 20), term=180)  # another term
    _rate("4.0000", date(2026, 12, 31))  # not in effect yet
    assert past_clients.refinance_alerts(today=date(2026, 12, 1)) == 0
    settings.CRM_REFINANCE_THRESHOLD_BP = 50
    assert past_clients.refinance_alerts(today=date(2026, 12, 1)) == 1


def test_a_paid_off_loan_gets_no_refinance_alert(past_client):
    LoanAccount.objects.filter(pk=past_client.loan_id).update(status="paid_off")
    _rate("4.0000", date(2026, 11, 20))
    assert past_clients.refinance_alerts(today=date(2026, 12, 1)) == 0


# --- loan_paid_off --------------------------------------------------------------------------------------


def test_loan_paid_off_starts_a_follow_up_once(past_client, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        loan_paid_off.send(sender=LoanAccount, loan=past_client.loan, transaction=None, actor=None)
        loan_paid_off.send(sender=LoanAccount, loan=past_client.loan, transaction=None, actor=None)
    follow_up = FollowUp.objects.get(kind="paid_off")
    past_client.refresh_from_db()
    assert past_client.paid_off_on == follow_up.due_date
    assert follow_up.title == f"{past_client.contact.full_name} paid off their loan"
    assert follow_up.officer == officer


def test_a_paid_off_loan_without_a_past_client_yet_becomes_one(loan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        loan_paid_off.send(sender=LoanAccount, loan=loan, transaction=None, actor=None)
    assert PastClient.objects.get().loan == loan
    assert FollowUp.objects.get().kind == "paid_off"
