"""What boarding writes, field by field: the loan account's terms snapshot and opening balances, each installment's
opening state, the escrow items, the entries' memos and who boarded it, and the audit row, all to the exact value
(a 30-year escrowed mortgage of 300,000.00 at 6.5 %, closed 2026-11-13, first payment 2027-01-01)."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from lending.core import roles
from lending.core.models import AuditEvent, User
from origination.models import Application, Funding
from servicing.models import Installment, LoanAccount
from servicing.services import onboarding
from servicing.services.onboarding import (
    OnboardingError,
    _loan_number,
    contract_terms,
    loan_onboard,
    loans_board_funded,
)
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories import boarded_loan, funded_application

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")


@pytest.fixture
def boarded():
    application = funded_application()
    actor = user_with_role(roles.SERVICER)
    loan = loan_onboard(application=application, actor=actor)
    return application, actor, LoanAccount.objects.get(pk=loan.pk)


def test_the_account_carries_the_signed_terms_and_opening_balances(boarded):
    application, actor, loan = boarded
    primary = application.borrowers.get(is_primary=True)
    assert (loan.loan_number, loan.application_id, loan.borrower_id, loan.borrower_name) == (
        "L-" + application.number.removeprefix("A-"),
        application.pk,
        application.applicant_id,
        str(primary),
    )
    assert (loan.product_code, loan.product_name, loan.status) == (
        application.product.code,
        "30-year fixed mortgage",
        "active",
    )
    assert (
        loan.principal,
        loan.annual_rate,
        loan.term_periods,
        loan.payment_frequency,
        loan.amortization,
        loan.interest_only_periods,
        loan.balloon_after_periods,
        loan.day_count,
        loan.odd_first_period,
        loan.interest_method,
    ) == (D("300000.00"), D("6.5000"), 360, "monthly", "level", 0, None, "30/360", "per_diem", "scheduled")
    assert (loan.disbursement_date, loan.first_payment_date, loan.maturity_date, loan.regular_payment) == (
        date(2026, 11, 13),
        date(2027, 1, 1),
        date(2056, 12, 1),
        D("1896.20"),
    )
    assert (
        loan.late_fee_percent,
        loan.late_fee_flat,
        loan.late_fee_max,
        loan.grace_days,
        loan.returned_payment_fee,
        loan.allocation_strategy,
        loan.statement_days_before_due,
    ) == (D("5.0000"), ZERO, None, 15, ZERO, "mortgage_standard", 15)
    assert (loan.escrow_monthly_payment, loan.escrow_initial_deposit, loan.escrow_cushion) == (
        D("525.00"),
        D("1050.00"),
        D("1050.00"),
    )
    assert loan.escrow_analysis_date == date(2027, 12, 2)
    assert (loan.principal_balance, loan.escrow_balance, loan.interest_due, loan.interest_prepaid) == (
        D("300000.00"),
        D("1050.00"),
        ZERO,
        ZERO,
    )
    assert (loan.interest_paid_through, loan.interest_accrued_through, loan.next_due_date) == (
        date(2026, 11, 13),
        date(2026, 11, 13),
        date(2027, 1, 1),
    )
    assert loan.boarded_by_id == actor.pk


def test_each_installment_starts_unpaid_without_fees_and_the_escrow_items_are_the_disclosed_ones(boarded):
    _, _, loan = boarded
    rows = Installment.objects.filter(loan=loan).order_by("number")
    assert rows.count() == 360
    assert [row.number for row in rows] == list(range(1, 361))
    opening = {
        (
            r.paid_principal,
            r.paid_interest,
            r.paid_escrow,
            r.late_fees,
            r.paid_late_fees,
            r.fees,
            r.paid_fees,
            r.paid_on,
        )
        for r in rows
    }
    assert opening == {(ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, None)}
    first, second = rows[0], rows[1]
    assert (first.due_date, first.escrow, first.payment) == (date(2027, 1, 1), D("525.00"), D("2871.26") + D("525.00"))
    assert (second.due_date, second.principal + second.interest, second.payment) == (
        date(2027, 2, 1),
        D("1896.20"),
        D("2421.20"),
    )
    assert list(
        loan.escrow_items.order_by("kind").values_list(
            "kind", "description", "annual_amount", "payments_per_year", "next_due_date"
        )
    ) == [
        ("hazard_insurance", "Homeowner's insurance premium", D("1500.00"), 1, date(2027, 12, 1)),
        ("property_tax", "Property tax", D("4800.00"), 2, date(2027, 6, 1)),
    ]


def test_the_entries_name_the_loan_and_the_wire_and_the_audit_row_records_the_boarding(boarded):
    application, actor, loan = boarded
    number = loan.loan_number
    assert list(loan.journal_entries.order_by("id").values_list("kind", "memo", "created_by_id")) == [
        ("disbursement", f"Disbursement of {number} (FW-TEST)", actor.pk),
        ("escrow_deposit", f"Initial escrow deposit of {number}, collected at closing", actor.pk),
    ]
    event = AuditEvent.objects.get(verb="loan.onboarded")
    assert (event.actor_id, event.target_id) == (actor.pk, str(loan.pk))
    assert event.after == {
        "application": application.number,
        "principal": "300000.00",
        "annual_rate": "6.5000",
        "term_periods": 360,
        "first_payment_date": "2027-01-01",
        "maturity_date": "2056-12-01",
        "regular_payment": "1896.20",
        "first_payment": "2871.26",
        "escrow_monthly_payment": "525.00",
        "escrow_initial_deposit": "1050.00",
    }


def test_a_consumer_loan_without_escrow_has_no_escrow_figures_items_or_analysis_date():
    loan = LoanAccount.objects.get(pk=boarded_loan(consumer=True).pk)
    assert (loan.escrow_monthly_payment, loan.escrow_initial_deposit, loan.escrow_cushion) == (ZERO, ZERO, ZERO)
    assert (loan.escrow_analysis_date, loan.escrow_balance) == (None, ZERO)
    assert not loan.escrow_items.exists()
    assert set(Installment.objects.filter(loan=loan).values_list("escrow", flat=True)) == {ZERO}


SIGNED = {
    "closing_date": date(2026, 11, 13),
    "first_payment_date": date(2027, 1, 1),
    "loan_amount": D("300000.00"),
    "annual_rate": D("6.5"),
    "term_periods": 360,
    "payment_frequency": "monthly",
    "amortization": "level",
    "day_count": "30/360",
    "interest_only_periods": 24,
    "balloon_after_periods": 84,
}
APPLICATION = SimpleNamespace(number="A-77")


@pytest.mark.parametrize("missing", ["closing_date", "first_payment_date"])
def test_terms_without_a_scheduled_date_are_refused_in_words(missing):
    with pytest.raises(OnboardingError) as refused:
        contract_terms(APPLICATION, {**SIGNED, missing: None}, D("300000.00"))
    assert str(refused.value) == "A-77 has no scheduled closing and first payment dates."


def test_a_funded_amount_other_than_the_signed_one_is_refused_in_words():
    with pytest.raises(OnboardingError) as refused:
        contract_terms(APPLICATION, SIGNED, D("299999.99"))
    assert str(refused.value) == "A-77: funded 299999.99, but the amount signed at closing is 300000.00."


def test_terms_the_schedule_cannot_price_are_refused_naming_the_application():
    with pytest.raises(OnboardingError, match=r"^A-77: the contract terms are invalid: "):
        contract_terms(APPLICATION, {**SIGNED, "term_periods": 0}, D("300000.00"))


@pytest.mark.parametrize(
    ("kind", "interest_only", "balloon"), [("level", 0, None), ("interest_only", 24, None), ("balloon", 0, 84)]
)
def test_the_terms_are_the_signed_ones_with_only_their_own_kinds_periods(kind, interest_only, balloon):
    terms = contract_terms(APPLICATION, {**SIGNED, "amortization": kind}, D("300000.00"))
    assert (
        terms.principal,
        terms.annual_rate,
        terms.term_periods,
        terms.disbursement_date,
        terms.first_payment_date,
        terms.frequency,
        terms.amortization,
        terms.day_count,
        terms.interest_only_periods,
        terms.balloon_after_periods,
    ) == (
        D("300000.00"),
        D("6.5"),
        360,
        date(2026, 11, 13),
        date(2027, 1, 1),
        "monthly",
        kind,
        "30/360",
        interest_only,
        balloon,
    )


@pytest.mark.parametrize(
    ("kind", "interest_only", "balloon"), [("interest_only", 120, None), ("balloon", 0, 84)], ids=["io", "balloon"]
)
def test_each_signed_term_reaches_the_account_even_where_it_is_not_the_default(kind, interest_only, balloon):
    product = LoanProductFactory(
        amortization=kind,
        interest_only_periods=interest_only,
        balloon_after_periods=balloon,
        late_fee_flat=D("25.00"),
        late_fee_max=D("100.00"),
        grace_days=10,
        statement_days_before_due=20,
        interest_method="daily",
    )
    loan = LoanAccount.objects.get(pk=boarded_loan(product=product).pk)
    assert (loan.amortization, loan.interest_only_periods, loan.balloon_after_periods) == (kind, interest_only, balloon)
    assert (loan.late_fee_flat, loan.late_fee_max, loan.grace_days) == (D("25.00"), D("100.00"), 10)
    assert (loan.statement_days_before_due, loan.interest_method, loan.odd_first_period) == (20, "daily", "per_diem")


def test_a_loan_number_is_the_application_number_after_its_a_prefix():
    assert _loan_number(SimpleNamespace(number="A-2026-000123")) == "L-2026-000123"
    assert _loan_number(SimpleNamespace(number="2026-A-1")) == "L-2026-A-1"


def test_without_a_wire_reference_or_a_primary_borrower_or_a_saved_actor_nothing_is_made_up():
    application = funded_application()
    Funding.objects.filter(application=application).update(wire_reference="")
    application.borrowers.update(is_primary=False)
    loan = loan_onboard(application=Application.objects.get(pk=application.pk), actor=User(email="x@lending.test"))
    loan = LoanAccount.objects.get(pk=loan.pk)
    assert (loan.borrower_name, loan.boarded_by_id) == ("", None)
    assert list(loan.journal_entries.order_by("id").values_list("memo", "idempotency_key")) == [
        (f"Disbursement of {loan.loan_number}", f"loan-onboard:{application.pk}:disbursement"),
        (
            f"Initial escrow deposit of {loan.loan_number}, collected at closing",
            f"loan-onboard:{application.pk}:escrow-deposit",
        ),
    ]


def test_only_an_escrowed_loan_has_its_initial_escrow_statement_made(monkeypatch):
    made = []
    monkeypatch.setattr(onboarding, "initial_statement_enqueue", lambda loan: made.append(loan.pk))
    escrowed = boarded_loan()
    boarded_loan(consumer=True)
    assert made == [escrowed.pk]


@pytest.mark.parametrize(
    ("tax", "insurance", "kinds"),
    [(D("4800.00"), ZERO, ["property_tax"]), (ZERO, D("1500.00"), ["hazard_insurance"])],
    ids=["no-insurance", "no-tax"],
)
def test_an_escrow_item_is_made_only_for_a_cost_the_property_has(tax, insurance, kinds):
    application = funded_application()
    application.subject_property.__class__.objects.filter(pk=application.subject_property.pk).update(
        annual_property_tax=tax, annual_insurance=insurance
    )
    loan = loan_onboard(application=Application.objects.get(pk=application.pk), actor=None)
    assert list(loan.escrow_items.values_list("kind", flat=True)) == kinds


def test_boarding_by_ids_reports_the_boarded_one_and_goes_on_to_board_the_next_as_the_actor():
    first, second = funded_application(), funded_application()
    already = loan_onboard(application=first, actor=None)
    actor = user_with_role(roles.SERVICER)
    outcomes = loans_board_funded(actor=actor, application_ids=[first.pk, second.pk])
    assert [(o.number, o.boarded) for o in outcomes] == [(first.number, False), (second.number, True)]
    assert outcomes[0].loan.pk == already.pk
    assert LoanAccount.objects.get(application=second).boarded_by_id == actor.pk
