"""Compliance checks: each check's pass / fail / n/a branches, with business days across weekends and holidays;
the stored, audited run; and the workflow: failing checks block clear to close."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import calendar, roles
from lending.core.models import AuditEvent
from lending.finance import apr
from origination.models import ComplianceCheck, Disclosure
from origination.services import compliance
from origination.services.compliance import (
    REG_Z_THRESHOLDS,
    apor_for,
    apr_tolerance,
    atr_qm,
    cd_timing,
    check_context,
    compliance_run,
    hoepa,
    hoepa_apr_trigger,
    hoepa_points_and_fees_trigger,
    le_timing,
    qm_points_and_fees_cap,
    qm_price_threshold,
)
from origination.services.figures import figures_for
from origination.services.workflow import REFRESH_BEFORE_TRANSITION_HOOKS, TransitionBlocked, application_transition
from tests.core.factories import user_with_role
from tests.origination.factories import (
    ApplicationFactory,
    BorrowerFactory,
    ConsumerProductFactory,
    LoanProductFactory,
    PropertyFactory,
)
from tests.origination.factories_compliance import (
    AporFactory,
    DisclosureFactory,
    FindingFactory,
    ProductFeeFactory,
    Team,
    approved_application,
    underwritten_application,
)
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db
LE, CD = Disclosure.Kind.LOAN_ESTIMATE, Disclosure.Kind.CLOSING_DISCLOSURE
THANKSGIVING_EVE = date(2026, 11, 25)  # Wednesday; Thursday 11/26 is Thanksgiving


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def mortgage(application_date=date(2026, 11, 2), amount=Decimal("300000.00"), product=None, **kwargs):
    application = ApplicationFactory(
        application_date=application_date, amount_requested=amount, product=product or LoanProductFactory(), **kwargs
    )
    BorrowerFactory(application=application)
    PropertyFactory(application=application)
    return application


def run(check, application, today):
    return check(check_context(application, today))


# --- le_timing -------------------------------------------------------------------------------------------


def test_le_deadline_skips_thanksgiving_the_third_general_business_day_is_tuesday():
    # Wed 11/25 -> Fri 11/27 (1; open, not a federal holiday), Mon 11/30 (2), Tue 12/1 (3).
    assert calendar.add_business_days(THANKSGIVING_EVE, 3, calendar.GENERAL) == date(2026, 12, 1)
    application = mortgage(application_date=THANKSGIVING_EVE)
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 12, 1))
    outcome = run(le_timing, application, today=date(2026, 12, 10))
    assert outcome.result == "pass"
    assert outcome.details == {"application_date": "2026-11-25", "deadline": "2026-12-01", "issued_on": "2026-12-01"}


def test_le_issued_after_the_deadline_fails():
    application = mortgage(application_date=THANKSGIVING_EVE)
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 12, 2))
    outcome = run(le_timing, application, today=date(2026, 12, 10))
    assert outcome.result == "fail"
    assert "after the deadline 2026-12-01" in outcome.explanation


def test_le_deadline_skips_a_weekend_and_veterans_day():
    # Fri 11/6 -> Mon 11/9 (1), Tue 11/10 (2), Wed 11/11 Veterans Day skipped, Thu 11/12 (3).
    application = mortgage(application_date=date(2026, 11, 6))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 12))
    assert run(le_timing, application, today=date(2026, 11, 20)).result == "pass"


def test_no_le_is_not_due_until_the_deadline_then_fails():
    application = mortgage(application_date=THANKSGIVING_EVE)
    pending = run(le_timing, application, today=date(2026, 12, 1))
    assert pending.result == "n/a"
    assert "due by 2026-12-01" in pending.explanation
    late = run(le_timing, application, today=date(2026, 12, 2))
    assert late.result == "fail"
    assert "No Loan Estimate was issued by 2026-12-01" in late.explanation


def test_le_timing_is_not_applicable_before_the_application_or_when_withdrawn_or_not_a_mortgage():
    assert run(le_timing, mortgage(application_date=None), today=date(2026, 12, 1)).result == "n/a"
    withdrawn = mortgage(application_date=date(2026, 11, 2))
    application_transition(application=withdrawn, name="withdraw", actor=user_with_role(roles.LOAN_OFFICER), note="x")
    assert run(le_timing, withdrawn, today=date(2026, 12, 1)).result == "n/a"
    consumer = mortgage(product=ConsumerProductFactory(), amount=Decimal("10000.00"))
    outcome = run(le_timing, consumer, today=date(2026, 12, 1))
    assert outcome.result == "n/a"
    assert "consumer installment loan" in outcome.explanation


# --- cd_timing -------------------------------------------------------------------------------------------


def test_cd_timing_waits_for_a_closing_date():
    outcome = run(cd_timing, mortgage(), today=date(2026, 11, 20))
    assert outcome.result == "n/a"
    assert "No closing date" in outcome.explanation


def test_cd_not_issued_is_na_while_it_can_still_arrive_then_fails():
    # Closing Thu 12/31: receipt by Mon 12/28 (12/29, 12/30, 12/31); mailed it is presumed received 3 specific
    # business days later, skipping Christmas (Fri 12/25) but counting Saturday: mail by Wed 12/23.
    application = mortgage(closing_date=date(2026, 12, 31))
    pending = run(cd_timing, application, today=date(2026, 12, 21))
    assert pending.result == "n/a"
    assert pending.details["receive_by"] == "2026-12-28"
    assert pending.details["mail_by"] == "2026-12-23"
    too_late = run(cd_timing, application, today=date(2026, 12, 29))
    assert too_late.result == "fail"
    assert "move the closing date" in too_late.explanation


def test_cd_mailed_before_christmas_is_presumed_received_monday_and_allows_thursday_closing():
    application = mortgage(closing_date=date(2026, 12, 31))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 3))
    DisclosureFactory(application=application, kind=CD, issued_on=date(2026, 12, 23), delivery="mail")
    outcome = run(cd_timing, application, today=date(2026, 12, 23))
    assert outcome.result == "pass"
    assert outcome.details["received_on"] == "2026-12-28"
    assert outcome.details["earliest_consummation"] == "2026-12-31"
    assert "presumed received 2026-12-28" in outcome.explanation


def test_cd_received_too_late_for_the_closing_fails_and_actual_receipt_can_cure_it():
    application = mortgage(closing_date=date(2026, 12, 30))
    cd = DisclosureFactory(application=application, kind=CD, issued_on=date(2026, 12, 23), delivery="email")
    outcome = run(cd_timing, application, today=date(2026, 12, 23))
    assert outcome.result == "fail"
    assert "after the scheduled closing on 2026-12-30" in outcome.explanation
    cd.received_on = date(2026, 12, 24)  # the borrower confirmed receipt the next day
    cd.save()
    assert run(cd_timing, application, today=date(2026, 12, 24)).result == "pass"


def test_cd_in_person_counts_that_day_and_the_latest_cd_is_the_one_that_counts():
    application = mortgage(closing_date=date(2026, 11, 13))
    DisclosureFactory(application=application, kind=CD, issued_on=date(2026, 11, 9), delivery="in_person")
    assert run(cd_timing, application, today=date(2026, 11, 9)).result == "pass"
    DisclosureFactory(application=application, kind=CD, issued_on=date(2026, 11, 11), delivery="in_person")
    assert run(cd_timing, application, today=date(2026, 11, 11)).result == "fail"


# --- apr_tolerance ---------------------------------------------------------------------------------------


def _disclose(application, kind, issued_on, delta=Decimal("0")):
    actual = figures_for(application, issued_on).disclosed_apr
    return DisclosureFactory(application=application, kind=kind, issued_on=issued_on, apr=actual + delta)


def test_apr_tolerance_is_na_before_any_disclosure():
    assert run(apr_tolerance, mortgage(), today=date(2026, 11, 20)).result == "n/a"


@pytest.mark.parametrize(("delta", "result"), [("0", "pass"), ("0.120", "pass"), ("-0.120", "pass"), ("0.130", "fail")])
def test_apr_within_an_eighth_of_a_point_passes(delta, result):
    application = mortgage()
    _disclose(application, LE, date(2026, 11, 3), Decimal(delta))
    outcome = run(apr_tolerance, application, today=date(2026, 11, 20))
    assert outcome.result == result
    assert outcome.details["tolerance"] == "0.125"


def test_apr_uses_the_latest_cd_over_the_le_and_fails_when_the_fees_change_after_disclosure():
    product = LoanProductFactory()
    application = mortgage(product=product, closing_date=date(2026, 11, 20))
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 3), apr=Decimal("9.9"))
    _disclose(application, CD, date(2026, 11, 12))
    assert run(apr_tolerance, application, today=date(2026, 11, 12)).result == "pass"
    product.origination_fee_percent = Decimal("3.0000")  # two more points after the CD: the APR moves ~0.27
    product.save()
    application.product.refresh_from_db()
    outcome = run(apr_tolerance, application, today=date(2026, 11, 12))
    assert outcome.result == "fail"
    assert "corrected Closing Disclosure" in outcome.explanation
    assert outcome.details["disclosure"] == CD


def test_apr_tolerance_fails_when_the_apr_cannot_be_recomputed():
    application = mortgage()
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 11, 3))
    application.amount_requested = None
    outcome = run(apr_tolerance, application, today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert "no loan amount" in outcome.explanation


def test_apr_tolerance_applies_to_consumer_loans_too():
    application = mortgage(product=ConsumerProductFactory(), amount=Decimal("12000.00"))
    _disclose(application, LE, date(2026, 11, 3))
    assert run(apr_tolerance, application, today=date(2026, 11, 20)).result == "pass"


# --- thresholds ------------------------------------------------------------------------------------------


def test_thresholds_are_dated_and_tiered_by_loan_amount():
    assert REG_Z_THRESHOLDS["year"] == 2026
    assert qm_price_threshold(Decimal("137958")) == Decimal("2.25")
    assert qm_price_threshold(Decimal("137957.99")) == Decimal("3.5")
    assert qm_price_threshold(Decimal("82774")) == Decimal("6.5")
    assert qm_price_threshold(Decimal("100000"), manufactured_home=True) == Decimal("6.5")
    assert qm_points_and_fees_cap(Decimal("300000"), Decimal("297000")) == Decimal("8910.00")  # 3%
    assert qm_points_and_fees_cap(Decimal("100000"), Decimal("99000")) == Decimal("4139")
    assert qm_points_and_fees_cap(Decimal("50000"), Decimal("49000")) == Decimal("2450.00")  # 5%
    assert qm_points_and_fees_cap(Decimal("20000"), Decimal("19500")) == Decimal("1380")
    assert qm_points_and_fees_cap(Decimal("10000"), Decimal("9800")) == Decimal("784.00")  # 8%
    assert hoepa_apr_trigger(Decimal("300000")) == Decimal("6.5")
    assert hoepa_apr_trigger(Decimal("40000"), personal_property=True) == Decimal("8.5")
    assert hoepa_points_and_fees_trigger(Decimal("300000"), Decimal("297000")) == Decimal("14850.00")  # 5%
    assert hoepa_points_and_fees_trigger(Decimal("20000"), Decimal("19500")) == Decimal("1380")  # < 8% (1,560)
    assert hoepa_points_and_fees_trigger(Decimal("15000"), Decimal("14000")) == Decimal("1120.00")  # 8% < 1,380


def test_apor_is_the_latest_week_on_or_before_the_rate_date_for_the_nearest_term():
    AporFactory(effective_date=date(2026, 10, 19), term_years=30, rate=Decimal("6.1"))
    AporFactory(effective_date=date(2026, 10, 26), term_years=30, rate=Decimal("6.2"))
    AporFactory(effective_date=date(2026, 10, 26), term_years=15, rate=Decimal("5.5"))
    AporFactory(effective_date=date(2026, 11, 9), term_years=30, rate=Decimal("9.9"))  # after the rate was set
    assert apor_for(as_of=date(2026, 11, 2), term_years=30).rate == Decimal("6.2")
    assert apor_for(as_of=date(2026, 11, 2), term_years=20).rate == Decimal("5.5")
    assert apor_for(as_of=date(2026, 10, 20), term_years=30).rate == Decimal("6.1")
    assert apor_for(as_of=date(2026, 10, 1), term_years=30) is None


# --- atr_qm ----------------------------------------------------------------------------------------------


def qm_ready(**kwargs):
    application = mortgage(**kwargs)
    FindingFactory(application=application)
    return application


def test_atr_qm_passes_a_priced_in_qm_with_dti_considered():
    AporFactory(rate=Decimal("6.2"))
    outcome = run(atr_qm, qm_ready(), today=date(2026, 11, 20))
    assert outcome.result == "pass", outcome.explanation
    assert outcome.details["back_dti"] == "36.0000"
    assert outcome.details["price_threshold"] == "2.25"
    assert outcome.details["points_and_fees"] == "3000.00"


def test_atr_qm_without_an_apor_row_fails_and_says_so():
    outcome = run(atr_qm, qm_ready(), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert "APOR table has no rate for a 30-year fixed loan" in outcome.explanation


def test_atr_qm_needs_dti_considered():
    AporFactory()
    outcome = run(atr_qm, mortgage(), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert "DTI was not considered" in outcome.explanation


def test_atr_qm_fails_when_the_apr_is_2_25_points_over_apor_for_a_large_loan():
    AporFactory(rate=Decimal("4.0"))  # APR ~6.6: 2.6 points over
    outcome = run(atr_qm, qm_ready(), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert "must be under 2.25" in outcome.explanation


def test_atr_qm_smaller_loans_have_a_higher_price_threshold():
    AporFactory(rate=Decimal("4.0"))
    outcome = run(atr_qm, qm_ready(amount=Decimal("100000.00")), today=date(2026, 11, 20))
    assert outcome.details["price_threshold"] == "3.5"
    assert outcome.result == "pass", outcome.explanation


def test_atr_qm_fails_over_the_points_and_fees_cap():
    AporFactory()
    product = LoanProductFactory()
    ProductFeeFactory(product=product, name="Discount points", amount=Decimal("6000.00"))  # 3,000 + 6,000 > 8,910
    ProductFeeFactory(product=product, name="Title", amount=Decimal("900.00"), is_points_and_fees=False)
    outcome = run(atr_qm, qm_ready(product=product), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert shows_money(outcome.explanation, "points and fees $9,000.00 exceed the QM cap")


def test_atr_qm_refuses_interest_only_payments():
    AporFactory()
    product = LoanProductFactory(amortization="interest_only", interest_only_periods=120)
    outcome = run(atr_qm, qm_ready(product=product), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert "interest only" in outcome.explanation.lower()


def test_atr_qm_is_na_for_consumer_loans():
    assert (
        run(atr_qm, mortgage(product=ConsumerProductFactory(), amount=Decimal("9000")), date(2026, 11, 20)).result
        == "n/a"
    )


# --- hoepa -----------------------------------------------------------------------------------------------


def test_hoepa_passes_an_ordinary_loan():
    AporFactory()
    outcome = run(hoepa, mortgage(), today=date(2026, 11, 20))
    assert outcome.result == "pass", outcome.explanation
    assert outcome.details["prepayment_penalty"] == "none offered"


def test_hoepa_rate_trigger_more_than_6_5_points_over_apor():
    AporFactory(rate=Decimal("0.05"))  # APR ~6.6: 6.55 points over
    outcome = run(hoepa, mortgage(), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert "This lender does not make HOEPA loans" in outcome.explanation


def test_hoepa_points_and_fees_trigger_over_5_percent():
    AporFactory()
    product = LoanProductFactory(origination_fee_percent=Decimal("2.0000"))
    ProductFeeFactory(product=product, amount=Decimal("10000.00"))  # 6,000 + 10,000 > 5% of 284,000
    outcome = run(hoepa, mortgage(product=product), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert shows_money(outcome.explanation, "points and fees $16,000.00 exceed $14,200.00")


def test_hoepa_small_loans_use_the_lesser_of_8_percent_or_the_dollar_trigger():
    AporFactory()
    product = LoanProductFactory(min_amount=Decimal("1000.00"), origination_fee_percent=Decimal("0"))
    ProductFeeFactory(product=product, amount=Decimal("1381.00"))
    outcome = run(hoepa, mortgage(product=product, amount=Decimal("20000.00")), today=date(2026, 11, 20))
    assert outcome.result == "fail"
    assert outcome.details["points_and_fees_trigger"] == "1380"


def test_hoepa_is_na_for_investment_properties_and_consumer_loans_and_fails_without_apor():
    investment = ApplicationFactory(application_date=date(2026, 11, 2))
    PropertyFactory(application=investment, occupancy="investment")
    assert run(hoepa, investment, today=date(2026, 11, 20)).result == "n/a"
    assert (
        run(hoepa, mortgage(product=ConsumerProductFactory(), amount=Decimal("9000")), date(2026, 11, 20)).result
        == "n/a"
    )
    no_apor = run(hoepa, mortgage(), today=date(2026, 11, 20))
    assert no_apor.result == "fail"
    assert "APOR table has no rate" in no_apor.explanation


# --- the run ---------------------------------------------------------------------------------------------


def test_compliance_run_stores_one_result_per_check_updates_them_and_audits_each_run():
    actor = user_with_role(roles.PROCESSOR)
    application = qm_ready(application_date=THANKSGIVING_EVE)
    first = compliance_run(application=application, actor=actor, today=date(2026, 12, 2))
    assert [row.code for row in first] == [
        "le_timing",
        "le_waiting_period",
        "revised_le_timing",
        "cd_timing",
        "til_timing",
        "apr_tolerance",
        "atr_qm",
        "hoepa",
    ]
    stored = dict(ComplianceCheck.objects.filter(application=application).values_list("code", "result"))
    assert stored == {
        "le_timing": "fail",
        "le_waiting_period": "n/a",
        "revised_le_timing": "n/a",
        "cd_timing": "n/a",
        "til_timing": "n/a",
        "apr_tolerance": "n/a",
        "atr_qm": "fail",
        "hoepa": "fail",
    }
    AporFactory()
    DisclosureFactory(application=application, kind=LE, issued_on=date(2026, 12, 1))
    compliance_run(application=application, actor=actor, today=date(2026, 12, 2))
    assert ComplianceCheck.objects.filter(application=application).count() == 8
    assert ComplianceCheck.objects.get(application=application, code="le_timing").result == "pass"
    events = AuditEvent.objects.filter(verb="compliance.run").order_by("id")
    assert events.count() == 2
    assert events[1].before["le_timing"] == "fail"
    assert events[1].after["le_timing"] == "pass"
    assert events[1].actor == actor


def test_compliance_hooks_are_registered_for_the_transitions_that_need_them():
    for name in ("clear_to_close", "close", "submit", "send_to_underwriting"):
        assert compliance.run._run_before_transition in REFRESH_BEFORE_TRANSITION_HOOKS[name]


def test_checks_run_on_submit_without_blocking_it():
    application = underwritten_application()  # no Loan Estimate, no APOR: atr_qm and hoepa fail
    assert application.status == "underwriting"
    results = dict(application.compliance_checks.values_list("code", "result"))
    assert results["atr_qm"] == "fail"


def test_a_failing_check_blocks_clear_to_close_and_passing_checks_let_it_through():
    team = Team()
    application = approved_application(team=team)
    assert application.status == "approved"
    product = application.product
    ProductFeeFactory(product=product, name="Discount points", amount=Decimal("9000.00"))  # over the QM cap
    with pytest.raises(TransitionBlocked) as blocked:
        application_transition(application=application, name="clear_to_close", actor=team.closer)
    assert blocked.value.reasons == ("compliance checks fail: apr tolerance, atr qm",)
    application.refresh_from_db()
    assert application.status == "approved"
    product.fees.all().delete()
    application_transition(application=application, name="clear_to_close", actor=team.closer)
    application.refresh_from_db()
    assert application.status == "clear_to_close"
    assert not application.compliance_checks.filter(result="fail").exists()


def test_the_disclosed_apr_matches_lending_finance():
    application = approved_application()
    le = application.disclosures.get()
    figures = figures_for(application, le.issued_on)
    payments = [(row.due_date, row.payment) for row in figures.schedule.rows]
    assert le.apr == apr.apr(figures.amount_financed, le.issued_on, payments, "monthly").quantize(Decimal("0.001"))


def test_blocked_clear_to_close_keeps_the_fresh_failing_results(django_user_model):
    """The refresh runs outside the transition's savepoint: the page explaining the block shows why."""
    from origination.models import ComplianceCheck
    from origination.services.workflow import TransitionBlocked, application_transition
    from tests.core.factories import user_with_role
    from tests.origination.factories import complete_application

    application = complete_application(status="approved")
    ComplianceCheck.objects.create(application=application, code="hoepa", result="pass", explanation="stale")
    with pytest.raises(TransitionBlocked):
        application_transition(application=application, name="clear_to_close", actor=user_with_role("underwriter"))
    assert ComplianceCheck.objects.filter(application=application, result="fail").exists()
    assert not ComplianceCheck.objects.filter(application=application, explanation="stale").exists()


def test_rerunning_automated_underwriting_refreshes_the_stored_compliance_results():
    from origination.models import ComplianceCheck
    from origination.services.underwriting import underwriting_run

    application = underwritten_application()
    ComplianceCheck.objects.filter(application=application).delete()
    underwriting_run(actor=user_with_role(roles.UNDERWRITER), application=application)
    codes = set(ComplianceCheck.objects.filter(application=application).values_list("code", flat=True))
    assert codes == {
        "le_timing",
        "le_waiting_period",
        "revised_le_timing",
        "cd_timing",
        "til_timing",
        "apr_tolerance",
        "atr_qm",
        "hoepa",
    }
