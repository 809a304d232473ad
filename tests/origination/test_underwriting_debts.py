"""Automated underwriting reconciles the declared liabilities with the credit reports: it counts the larger, less
the tradelines an underwriter excluded with a reason (recorded, audited, on the workspace)."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from origination.credit import aus
from origination.models import TradelineExclusion
from origination.services.credit import TradelineError, credit_pull, tradeline_exclude, tradeline_include
from origination.services.underwriting import underwriting_run
from tests.core.factories import user_with_role
from tests.origination.factories_underwriting import park, underwriting_application

MORTGAGE = aus.ProductTerms(
    kind="mortgage",
    annual_rate=D("6.5"),
    term_periods=360,
    min_amount=D("50000"),
    max_amount=D("1500000"),
    max_dti=D("43"),
    max_ltv=D("95"),
    min_credit_score=620,
    origination_fee_percent=D("1"),
)
HOME = aus.PropertyFacts(
    estimated_value=D("375000"), purchase_price=D("375000"), annual_property_tax=D("4800"), annual_insurance=D("1500")
)
LINES = (
    {"creditor": "Auto Co", "kind": "auto", "monthly_payment": "650.00", "status": "current"},
    {"creditor": "Student Co", "kind": "student", "monthly_payment": "345.00", "status": "current"},
    {"creditor": "Rental Mortgage Co", "kind": "mortgage", "monthly_payment": "2500.00", "status": "current"},
)
# Housing expense $2,421.20 (P&I 1,896.20 + taxes 400 + insurance 125); $13,500 a month of income; the application
# declares $385 a month of debts, the credit report shows $3,495.
DECLARED_LOW = aus.AusInput(
    product=MORTGAGE,
    purpose="purchase",
    amount=D("300000"),
    monthly_income=D("13500"),
    liabilities_monthly=D("385"),
    assets=(("checking", D("150000")),),
    property=HOME,
    credit=(aus.BorrowerCredit(name="Ana Lee", score=740, tradelines=LINES),),
)


def message(found, code):
    (text,) = [m["text"] for m in found.messages if m["code"] == code]
    return text


def test_the_dti_counts_the_credit_reports_debts_when_they_are_larger_than_the_declared_ones():
    found = aus.evaluate(DECLARED_LOW)
    assert found.back_dti == D("43.8237")  # (2,421.20 + 3,495.00) / 13,500; with the declared 385 it was 20.79 %
    assert found.recommendation == aus.REFER
    assert (found.calculations["declared_liabilities"], found.calculations["liabilities_monthly"]) == (
        "385.00",
        "3495.00",
    )
    assert message(found, "debts") == (
        "Monthly debts counted: $3,495.00 from the credit reports, more than the $385.00 the application declares "
        "kept after closing. Correct the application's liabilities, or record why a tradeline does not count."
    )
    assert message(found, "back_dti").startswith("Back-end DTI 43.82 % exceeds the product maximum 43.00 %")


def test_a_tradeline_the_underwriter_excluded_is_not_counted_and_the_findings_say_why():
    excluded = aus.BorrowerCredit(name="Ana Lee", score=740, tradelines=LINES, exclusions=((2, "Paid by the LLC"),))
    found = aus.evaluate(replace(DECLARED_LOW, credit=(excluded,)))
    assert found.back_dti == D("25.3052")  # (2,421.20 + 650 + 345) / 13,500
    assert found.recommendation == aus.APPROVE_ELIGIBLE
    assert found.calculations["excluded_monthly"] == "2500.00"
    assert message(found, "debts").endswith(
        "Excluded by the underwriter: Rental Mortgage Co $2,500.00 (Paid by the LLC)."
    )
    rows = dict(aus.calculation_rows(found.calculations))
    assert rows["Payments on the credit reports"] == "$3,495.00"
    assert rows["Tradelines excluded by the underwriter"] == "$2,500.00"
    assert rows["Monthly debts counted (the larger)"] == "$995.00"


def test_declared_debts_count_when_they_are_the_larger():
    found = aus.evaluate(
        replace(DECLARED_LOW, liabilities_monthly=D("4000"), credit=(aus.BorrowerCredit(name="A", score=740),))
    )
    assert found.calculations["liabilities_monthly"] == "4000.00"
    assert message(found, "debts") == (
        "Monthly debts counted: $4,000.00 declared on the application (kept after closing); the credit reports show "
        "$0.00."
    )


# ---- the service ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_underwriter_excludes_a_tradeline_with_a_reason_and_the_next_run_uses_it():
    application = underwriting_application("underwriting")
    underwriter = user_with_role(roles.UNDERWRITER)
    (report,) = credit_pull(actor=underwriter, application=application)
    assert underwriting_run(actor=underwriter, application=application).back_dti == D("33.4384")  # 588.26 reported
    exclusion = tradeline_exclude(
        actor=underwriter, credit_report=report, index=0, reason="  Paid off at closing (payoff letter)  "
    )
    assert exclusion.reason == "Paid off at closing (payoff letter)"
    event = AuditEvent.objects.get(verb="credit.tradeline_excluded")
    assert event.after == {
        "index": 0,
        "creditor": "Sandbox Personal Loans",
        "monthly_payment": "184.24",
        "reason": "Paid off at closing (payoff letter)",
    }
    # 588.26 - 184.24 = 404.02 reported, less than the 450 declared: (2,421.20 + 450) / 9,000
    assert underwriting_run(actor=underwriter, application=application).back_dti == D("31.9022")
    tradeline_include(actor=underwriter, exclusion=exclusion)
    assert not TradelineExclusion.objects.exists()
    assert (
        AuditEvent.objects.get(verb="credit.tradeline_included").before["reason"]
        == "Paid off at closing (payoff letter)"
    )


@pytest.mark.django_db
def test_excluding_needs_an_underwriter_a_reason_a_real_tradeline_and_an_open_file():
    application = underwriting_application("underwriting")
    underwriter = user_with_role(roles.UNDERWRITER)
    (report,) = credit_pull(actor=underwriter, application=application)
    with pytest.raises(PermissionDenied):
        tradeline_exclude(actor=user_with_role(roles.PROCESSOR), credit_report=report, index=0, reason="x")
    with pytest.raises(TradelineError, match="Say why the tradeline does not count"):
        tradeline_exclude(actor=underwriter, credit_report=report, index=0, reason="   ")
    with pytest.raises(TradelineError, match="No such tradeline"):
        tradeline_exclude(actor=underwriter, credit_report=report, index=len(report.tradelines), reason="x")
    tradeline_exclude(actor=underwriter, credit_report=report, index=1, reason="Duplicate of line 1")
    with pytest.raises(TradelineError, match="already excluded"):
        tradeline_exclude(actor=underwriter, credit_report=report, index=1, reason="again")
    park(application, "clear_to_close")
    with pytest.raises(TradelineError, match="while the application is Clear to close"):
        tradeline_exclude(actor=underwriter, credit_report=report, index=2, reason="late")
    assert TradelineExclusion.objects.count() == 1


# ---- the workspace -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_workspace_form_excludes_a_tradeline_and_shows_the_reason(client):
    application = underwriting_application("underwriting")
    underwriter = user_with_role(roles.UNDERWRITER)
    (report,) = credit_pull(actor=underwriter, application=application)
    client.force_login(underwriter)
    workspace = reverse("origination:underwriting-workspace", args=[application.pk])
    assert 'data-testid="exclude-tradeline"' in client.get(workspace).content.decode()
    url = reverse("origination:tradeline-exclude", args=[application.pk, report.pk, 0])
    blank = client.post(url, {"reason": "", "return_to": "workspace"})
    assert blank.status_code == 400
    assert "This field is required." in blank.content.decode()
    response = client.post(url, {"reason": "Paid off at closing", "return_to": "workspace"})
    assert (response.status_code, response["Location"]) == (302, workspace)
    body = client.get(workspace).content.decode()
    assert "Excluded</span> Paid off at closing" in body
    exclusion = TradelineExclusion.objects.get()
    include = reverse("origination:tradeline-include", args=[application.pk, exclusion.pk])
    assert client.post(include, {"return_to": "workspace"}).status_code == 302
    assert not TradelineExclusion.objects.exists()


@pytest.mark.django_db
def test_only_underwriters_see_the_form_and_other_applications_reports_are_404(client):
    application = underwriting_application("underwriting")
    (report,) = credit_pull(actor=user_with_role(roles.UNDERWRITER), application=application)
    client.force_login(user_with_role(roles.PROCESSOR))
    workspace = reverse("origination:underwriting-workspace", args=[application.pk])
    assert 'data-testid="exclude-tradeline"' not in client.get(workspace).content.decode()
    client.force_login(user_with_role(roles.UNDERWRITER))
    other = underwriting_application("underwriting", ssn="123-45-0241")
    url = reverse("origination:tradeline-exclude", args=[other.pk, report.pk, 0])
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert not TradelineExclusion.objects.exists()
    assert not AuditEvent.objects.filter(verb="credit.tradeline_excluded").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.PROCESSOR, 403), (roles.LOAN_OFFICER, 403), (roles.CLOSER, 403), (roles.BORROWER, 403)],
)
def test_only_underwriters_and_managers_may_exclude_a_tradeline_and_nothing_is_written_otherwise(client, role, status):
    application = underwriting_application("underwriting")
    (report,) = credit_pull(actor=user_with_role(roles.UNDERWRITER), application=application)
    client.force_login(user_with_role(role))
    url = reverse("origination:tradeline-exclude", args=[application.pk, report.pk, 0])
    assert client.post(url, {"reason": "Paid off at closing"}).status_code == status
    assert not TradelineExclusion.objects.exists()
    assert not AuditEvent.objects.filter(verb="credit.tradeline_excluded").exists()
