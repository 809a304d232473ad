"""The automated underwriting engine: exact figures for a hand-computed loan, every recommendation branch with
its explanation, and underwriting_run (stored, audited, refused without credit)."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from lending.core import roles
from lending.core.models import AuditEvent
from origination.credit import aus
from origination.models import UnderwritingFinding
from origination.services.credit import credit_pull
from origination.services.underwriting import UnderwritingError, underwriting_run
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount
from tests.origination.factories import BorrowerFactory, LiabilityFactory
from tests.origination.factories_underwriting import underwriting_application

MORTGAGE = aus.ProductTerms(
    kind="mortgage",
    annual_rate=D("6.5"),
    term_periods=360,
    min_amount=D("50000"),
    max_amount=D("1500000"),
    max_dti=D("43"),
    max_ltv=D("95"),
    max_cltv=D("95"),
    min_credit_score=620,
    min_reserves_months=D("2"),
    origination_fee_percent=D("1"),
)
HOME = aus.PropertyFacts(
    estimated_value=D("375000"), purchase_price=D("375000"), annual_property_tax=D("4800"), annual_insurance=D("1500")
)
# $300,000 at 6.5 % for 30 years; $9,000 a month of income; a $450 car payment; $150,000 in the bank.
BASE = aus.AusInput(
    product=MORTGAGE,
    purpose="purchase",
    amount=D("300000"),
    monthly_income=D("9000"),
    liabilities_monthly=D("450"),
    assets=(("checking", D("150000")),),
    property=HOME,
    credit=(aus.BorrowerCredit(name="Ana Lee", score=740),),
)


def codes(found, severity=None):
    return [m["code"] for m in found.messages if severity is None or m["severity"] == severity]


def test_hand_computed_mortgage_figures():
    found = aus.evaluate(BASE)
    # P&I 1,896.20 (300,000 x 0.065/12 / (1 - (1 + 0.065/12)^-360)); taxes 4,800/12 = 400; insurance 1,500/12 = 125.
    assert found.calculations["principal_and_interest"] == "1896.20"
    assert found.calculations["housing_payment"] == "2421.20"
    assert found.front_dti == D("26.9022")  # 2,421.20 / 9,000
    assert found.back_dti == D("31.9022")  # (2,421.20 + 450) / 9,000
    assert found.ltv == D("80.0000")
    assert found.cltv == D("80.0000")
    # 150,000 - (75,000 down + 3,000 origination fee) = 72,000 = 29.74 months of 2,421.20
    assert found.calculations["funds_to_close"] == "78000.00"
    assert found.reserves_months == D("29.74")
    assert found.credit_score == 740
    assert found.recommendation == aus.APPROVE_ELIGIBLE
    assert found.messages[0] == {
        "code": "recommendation",
        "severity": "approve_eligible",
        "text": "Approve/Eligible: every product limit is met.",
    }
    assert set(codes(found, "pass")) == {"back_dti", "ltv", "cltv", "reserves", "credit_score"}
    texts = " ".join(m["text"] for m in found.messages)
    assert "Front-end DTI is 26.90 %" in texts
    assert "Back-end DTI 31.90 % is within the product maximum 43.00 %" in texts


def test_recommendation_codes_match_the_model_choices():
    assert set(aus.RECOMMENDATION_LABELS.items()) == set(UnderwritingFinding.Recommendation.choices)


def test_cltv_counts_subordinate_liens_and_appraisal_or_price_whichever_is_lower():
    found = aus.evaluate(
        replace(BASE, property=replace(HOME, appraised_value=D("360000"), subordinate_liens=D("30000")))
    )
    assert found.ltv == D("83.3333")  # 300,000 / 360,000 (appraisal under the price)
    assert found.cltv == D("91.6667")  # 330,000 / 360,000
    assert found.calculations["value_basis"] == "appraised value"
    refi = aus.evaluate(replace(BASE, purpose="refinance", property=replace(HOME, appraised_value=D("400000"))))
    assert refi.ltv == D("75.0000")  # a refinance measures against the appraisal, not an old price


def test_refer_when_dti_is_over_the_maximum_and_the_message_says_by_how_much():
    found = aus.evaluate(replace(BASE, liabilities_monthly=D("1500")))
    assert found.back_dti == D("43.5689")  # (2,421.20 + 1,500) / 9,000
    assert found.recommendation == aus.REFER
    (message,) = [m for m in found.messages if m["code"] == "back_dti"]
    assert message["severity"] == "refer"
    assert message["text"].startswith("Back-end DTI 43.57 % exceeds the product maximum 43.00 %")
    assert found.messages[0]["text"] == "Refer: 1 product limit not met; the file needs manual underwriting."


def test_refer_with_caution_when_dti_is_more_than_7_points_over():
    found = aus.evaluate(replace(BASE, monthly_income=D("5000")))  # 2,871.20 / 5,000 = 57.42 %
    assert found.recommendation == aus.REFER_WITH_CAUTION
    assert "more than 7 points over" in next(m["text"] for m in found.messages if m["code"] == "back_dti")


@pytest.mark.parametrize(
    ("score", "recommendation", "severity"),
    [
        (620, aus.APPROVE_ELIGIBLE, "pass"),
        (619, aus.REFER, "refer"),
        (580, aus.REFER, "refer"),
        (579, aus.REFER_WITH_CAUTION, "refer_with_caution"),
    ],
)
def test_credit_score_bands(score, recommendation, severity):
    found = aus.evaluate(replace(BASE, credit=(aus.BorrowerCredit(name="Ana Lee", score=score),)))
    assert found.recommendation == recommendation
    assert [m["severity"] for m in found.messages if m["code"] == "credit_score"] == [severity]


def test_the_lowest_borrower_score_is_used_and_a_no_hit_borrower_refers():
    two = (aus.BorrowerCredit(name="Ana Lee", score=760), aus.BorrowerCredit(name="Bo Lee", score=690))
    assert aus.evaluate(replace(BASE, credit=two)).credit_score == 690
    no_hit = (aus.BorrowerCredit(name="Ana Lee", score=760), aus.BorrowerCredit(name="Bo Lee", score=None))
    found = aus.evaluate(replace(BASE, credit=no_hit))
    assert found.recommendation == aus.REFER
    assert found.credit_score == 760
    assert "No credit score for Bo Lee (no credit file)" in next(
        m["text"] for m in found.messages if m["code"] == "no_credit_file"
    )


def test_refer_when_ltv_is_over_the_maximum():
    found = aus.evaluate(replace(BASE, amount=D("360000"), assets=(("checking", D("200000")),)))
    assert found.ltv == D("96.0000")
    assert found.recommendation == aus.REFER
    assert "LTV 96.00 % on the estimated value $375,000.00 exceeds the product maximum 95.00 %." in [
        m["text"] for m in found.messages
    ]


def test_refer_when_reserves_are_short_or_assets_do_not_cover_closing():
    short = aus.evaluate(replace(BASE, assets=(("checking", D("80000")),)))  # 2,000 left: 0.83 months
    assert short.reserves_months == D("0.83")
    assert short.recommendation == aus.REFER
    assert "below the product minimum of 2 months" in next(m["text"] for m in short.messages if m["code"] == "reserves")
    broke = aus.evaluate(replace(BASE, assets=(("checking", D("50000")),)))
    assert broke.recommendation == aus.REFER
    assert_amount(next(m["text"] for m in broke.messages if m["code"] == "funds_to_close"), "$28,000.00 short")


def test_retirement_assets_count_at_60_percent():
    found = aus.evaluate(replace(BASE, assets=(("checking", D("78000")), ("retirement", D("10000")))))
    assert found.calculations["assets"] == "84000.00"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": None}, "amount_missing"),
        ({"amount": D("2000000")}, "amount_outside_product"),
        ({"amount": D("40000")}, "amount_outside_product"),
        ({"monthly_income": D("0")}, "income_missing"),
        ({"property": None}, "property_missing"),
    ],
)
def test_out_of_scope_when_the_limits_cannot_be_evaluated(change, code):
    found = aus.evaluate(replace(BASE, **change))
    assert found.recommendation == aus.OUT_OF_SCOPE
    assert code in codes(found, "out_of_scope")
    assert found.messages[0]["text"].startswith("Out of Scope: the product's limits cannot be evaluated")


def test_a_consumer_loan_has_no_housing_ratio_and_counts_present_housing():
    consumer = aus.ProductTerms(
        kind="consumer",
        annual_rate=D("11.99"),
        term_periods=36,
        min_amount=D("1000"),
        max_amount=D("50000"),
        max_dti=D("40"),
        min_credit_score=640,
    )
    found = aus.evaluate(
        aus.AusInput(
            product=consumer,
            purpose="personal",
            amount=D("10000"),
            monthly_income=D("5000"),
            liabilities_monthly=D("200"),
            present_housing_expense=D("1500"),
            credit=(aus.BorrowerCredit(name="Ana Lee", score=700),),
        )
    )
    assert found.calculations["principal_and_interest"] == "332.10"  # 10,000 at 11.99 % over 36 months
    assert found.front_dti is None
    assert found.ltv is None
    assert found.back_dti == D("40.6420")  # (332.10 + 200 + 1,500) / 5,000
    assert found.recommendation == aus.REFER


def test_warnings_for_derogatory_and_undisclosed_debt_do_not_change_the_recommendation():
    lines = (
        {"creditor": "Card Co", "kind": "revolving", "monthly_payment": "600.00", "status": "30 days late"},
        {"creditor": "Auto Co", "kind": "auto", "monthly_payment": "450.00", "status": "current"},
    )
    found = aus.evaluate(replace(BASE, credit=(aus.BorrowerCredit(name="Ana Lee", score=700, tradelines=lines),)))
    assert found.recommendation == aus.APPROVE_ELIGIBLE
    assert codes(found, "warning") == ["derogatory_credit", "undisclosed_debt"]
    assert "Card Co (30 days late)" in found.messages[-2]["text"]
    assert_amount(found.messages[-1]["text"], "$1,050.00 a month")


def test_calculation_rows_are_labelled_and_formatted():
    rows = dict(aus.calculation_rows(aus.evaluate(BASE).calculations))
    assert rows["Back-end DTI"] == "31.9022 %"
    assert rows["Housing expense / new payment"] == "$2,421.20"
    assert rows["Reserves (months of payment)"] == "29.74 months"


# ---- the service ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_underwriting_run_stores_the_figures_and_audits():
    application = underwriting_application("processing")
    processor = user_with_role(roles.PROCESSOR)
    credit_pull(actor=processor, application=application)
    finding = underwriting_run(actor=processor, application=application)
    assert finding.recommendation == "approve_eligible"
    assert (finding.front_dti, finding.back_dti, finding.ltv, finding.reserves_months, finding.credit_score) == (
        D("26.9022"),
        D("33.4384"),  # (2,421.20 + 588.26 on the sandbox credit report, more than the 450 declared) / 9,000
        D("80.0000"),
        D("29.74"),
        740,
    )
    finding.refresh_from_db()
    assert finding.calculations["housing_payment"] == "2421.20"
    assert AuditEvent.objects.get(verb="underwriting.run").after["recommendation"] == "approve_eligible"


@pytest.mark.django_db
def test_paid_off_liabilities_are_left_out_and_the_magic_refer_ssn_refers():
    application = underwriting_application("processing", ssn="999-00-0003")
    LiabilityFactory(application=application, monthly_payment=D("900.00"), paid_off_at_closing=True)
    processor = user_with_role(roles.PROCESSOR)
    credit_pull(actor=processor, application=application)
    finding = underwriting_run(actor=processor, application=application)
    # The 900 paid off at closing is not declared as kept; the report's 919.41 is more than the 450 kept.
    assert finding.calculations["declared_liabilities"] == "450.00"
    assert finding.back_dti == D("37.1179")  # (2,421.20 + 919.41) / 9,000
    assert finding.recommendation == "refer"
    assert "Credit score 600 is below the product minimum 620." in [m["text"] for m in finding.messages]


@pytest.mark.django_db
def test_underwriting_run_needs_credit_for_every_borrower():
    application = underwriting_application("processing")
    processor = user_with_role(roles.PROCESSOR)
    credit_pull(actor=processor, application=application)
    BorrowerFactory(application=application, is_primary=False, first_name="Cy", last_name="Doe")
    with pytest.raises(UnderwritingError, match="Pull credit first: no credit report for Cy Doe"):
        underwriting_run(actor=processor, application=application)
    assert not UnderwritingFinding.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.CLOSER, roles.BORROWER])
def test_underwriting_run_roles(role):
    with pytest.raises(PermissionDenied):
        underwriting_run(actor=user_with_role(role), application=underwriting_application("processing"))


@pytest.mark.django_db
def test_underwriting_run_refused_on_a_closed_file():
    with pytest.raises(UnderwritingError, match="cannot run while the application is Denied"):
        underwriting_run(actor=user_with_role(roles.UNDERWRITER), application=underwriting_application("denied"))
