"""Intake services: numbering, the TRID application date, SSNs encrypted and masked, validation, edit windows."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Application, Asset, Borrower, Employment, Liability
from origination.selectors.intake import intake_summary
from origination.services import intake
from origination.services.intake import sections as intake_sections
from origination.services.workflow import TransitionBlocked, application_transition
from tests.core.factories import user_with_role
from tests.origination.factories import (
    ApplicationFactory,
    BorrowerFactory,
    ConsumerProductFactory,
    EmploymentFactory,
    LoanProductFactory,
    PropertyFactory,
)

pytestmark = pytest.mark.django_db

SSN = "123-45-6789"
BORROWER = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.test",
    "date_of_birth": date(1985, 12, 10),
    "address_line1": "1 Main St",
    "city": "Springfield",
    "state": "il",
    "postal_code": "62701",
    "monthly_housing_expense": Decimal("1200.00"),
}
PROPERTY = {
    "address_line1": "400 Oak Avenue",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
    "property_type": "single_family",
    "occupancy": "primary",
    "estimated_value": Decimal("375000.00"),
    "purchase_price": Decimal("375000.00"),
}


@pytest.fixture
def borrower_user():
    return user_with_role(roles.BORROWER)


@pytest.fixture
def draft(borrower_user):
    return intake.application_start(
        actor=borrower_user, product=LoanProductFactory(), purpose="purchase", applicant=borrower_user
    )


def _job(application, actor, income=Decimal("9000.00")):
    primary = application.borrowers.get(is_primary=True)
    intake.employment_save(
        actor=actor,
        application=application,
        rows=[{"borrower": primary, "employer_name": "Acme", "monthly_base_income": income}],
    )


# --- starting and numbering ---------------------------------------------------------------------------------


def test_application_start_numbers_from_the_primary_key_and_audits(borrower_user):
    product = LoanProductFactory()
    first = intake.application_start(actor=borrower_user, product=product, purpose="purchase")
    second = intake.application_start(actor=borrower_user, product=product, purpose="refinance")
    year = timezone.localdate().year
    assert first.number == f"A-{year}-{first.pk:06d}"
    assert second.number == f"A-{year}-{second.pk:06d}"
    assert Application.objects.get(pk=first.pk).number == first.number
    assert first.applicant == borrower_user
    assert first.status == "draft"
    event = AuditEvent.objects.filter(verb="application.started").order_by("id").first()
    assert event.actor == borrower_user
    assert event.after["number"] == first.number


def test_loan_officer_starts_for_a_borrower_and_is_assigned():
    officer, borrower = user_with_role(roles.LOAN_OFFICER), user_with_role(roles.BORROWER)
    application = intake.application_start(
        actor=officer, product=LoanProductFactory(), purpose="purchase", applicant=borrower, loan_officer=officer
    )
    assert (application.applicant, application.loan_officer) == (borrower, officer)


@pytest.mark.parametrize("role", [roles.SERVICER, roles.UNDERWRITER, roles.COLLECTOR])
def test_roles_outside_intake_cannot_start(role):
    with pytest.raises(PermissionDenied):
        intake.application_start(actor=user_with_role(role), product=LoanProductFactory(), purpose="purchase")


def test_a_borrower_cannot_start_an_application_for_someone_else(borrower_user):
    with pytest.raises(PermissionDenied):
        intake.application_start(
            actor=borrower_user,
            product=LoanProductFactory(),
            purpose="purchase",
            applicant=user_with_role(roles.BORROWER),
        )


def test_start_refuses_inactive_products_and_foreign_purposes(borrower_user):
    with pytest.raises(ValidationError) as inactive:
        intake.application_start(actor=borrower_user, product=LoanProductFactory(is_active=False), purpose="purchase")
    assert "product" in inactive.value.message_dict
    with pytest.raises(ValidationError) as purpose:
        intake.application_start(actor=borrower_user, product=ConsumerProductFactory(), purpose="purchase")
    assert "purpose" in purpose.value.message_dict
    assert not Application.objects.exists()


# --- the TRID application date -------------------------------------------------------------------------------


def _add(item, application, actor):
    if item == "name":
        intake.borrower_save(actor=actor, application=application, data={"first_name": "Ada", "last_name": "L"})
    elif item == "ssn":
        intake.borrower_save(actor=actor, application=application, data={"ssn": SSN})
    elif item == "income":
        _job(application, actor)
    elif item == "property":  # address and value arrive together on the property form
        intake.property_save(actor=actor, application=application, data=PROPERTY)
    elif item == "loan_amount":
        intake.loan_request_save(
            actor=actor, application=application, data={"purpose": "purchase", "amount_requested": Decimal("300000")}
        )


# The name cannot come last: a borrower row needs it, so it arrives with (or before) the SSN.
@pytest.mark.parametrize("last", ["ssn", "income", "property", "loan_amount"])
def test_application_date_is_stamped_exactly_when_the_last_trid_item_arrives(borrower_user, last):
    application = intake.application_start(actor=borrower_user, product=LoanProductFactory(), purpose="purchase")
    order = ["name", "ssn", "income", "property", "loan_amount"]
    order.remove(last)
    for item in order:
        _add(item, application, borrower_user)
        application.refresh_from_db()
        assert application.application_date is None, f"stamped before {last} arrived (after {item})"
    _add(last, application, borrower_user)
    application.refresh_from_db()
    assert application.application_date == timezone.localdate()
    assert AuditEvent.objects.filter(verb="application.application_date_stamped").count() == 1


def test_application_date_never_moves_once_stamped(draft, borrower_user, monkeypatch):
    for item in ("name", "ssn", "income", "property", "loan_amount"):
        _add(item, draft, borrower_user)
    draft.refresh_from_db()
    stamped = draft.application_date
    assert stamped == timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2099, 1, 1))
    intake.loan_request_save(
        actor=borrower_user, application=draft, data={"purpose": "purchase", "amount_requested": Decimal("310000")}
    )
    intake.property_save(actor=borrower_user, application=draft, data={**PROPERTY, "estimated_value": Decimal("1")})
    assert intake.application_date_stamp_if_complete(draft) is False
    draft.refresh_from_db()
    assert draft.application_date == stamped
    assert AuditEvent.objects.filter(verb="application.application_date_stamped").count() == 1


def test_consumer_loans_have_no_property_items(borrower_user):
    application = intake.application_start(actor=borrower_user, product=ConsumerProductFactory(), purpose="personal")
    _add("name", application, borrower_user)
    _add("ssn", application, borrower_user)
    _add("income", application, borrower_user)
    assert intake.trid_items_missing(application) == ["loan_amount"]
    intake.loan_request_save(
        actor=borrower_user, application=application, data={"purpose": "personal", "amount_requested": Decimal("9000")}
    )
    application.refresh_from_db()
    assert application.application_date == timezone.localdate()
    with pytest.raises(ValidationError):
        intake.property_save(actor=borrower_user, application=application, data=PROPERTY)


def test_zero_income_is_not_income(draft, borrower_user):
    _add("name", draft, borrower_user)
    _job(draft, borrower_user, income=Decimal("0"))
    assert "income" in intake.trid_items_missing(draft)


def test_submit_stamps_the_date_for_data_entered_elsewhere_then_passes_the_guard():
    application = ApplicationFactory()  # six items present, but entered without the intake services
    borrower = BorrowerFactory(application=application)
    EmploymentFactory(borrower=borrower)
    PropertyFactory(application=application)
    assert application.application_date is None
    application_transition(application=application, name="submit", actor=user_with_role(roles.LOAN_OFFICER))
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.application_date == timezone.localdate()


# --- SSNs -------------------------------------------------------------------------------------------------


def test_ssn_is_encrypted_at_rest_and_never_audited_in_clear(draft, borrower_user):
    intake.borrower_save(actor=borrower_user, application=draft, data={**BORROWER, "ssn": "123 45 6789"})
    borrower = Borrower.objects.get(application=draft)
    assert borrower.ssn == SSN
    assert borrower.ssn_last4 == "6789"
    assert borrower.state == "IL"
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM origination_borrower WHERE id = %s", [borrower.pk])
        (raw,) = cursor.fetchone()
    assert raw
    assert SSN not in raw
    assert "123456789" not in raw
    assert "6789" not in raw
    audit_text = json.dumps(list(AuditEvent.objects.values("before", "after", "note")))
    assert SSN not in audit_text
    assert "123456789" not in audit_text
    assert "***-**-6789" in audit_text


def test_blank_ssn_keeps_the_one_on_file(draft, borrower_user):
    intake.borrower_save(actor=borrower_user, application=draft, data={**BORROWER, "ssn": SSN})
    intake.borrower_save(actor=borrower_user, application=draft, data={**BORROWER, "phone": "555-0100", "ssn": ""})
    borrower = Borrower.objects.get(application=draft)
    assert (borrower.ssn, borrower.phone) == (SSN, "555-0100")


@pytest.mark.parametrize("value", ["123456789", "123-45-6789", " 123 45 6789 "])
def test_ssn_normalise_accepts_and_formats(value):
    assert intake.ssn_normalise(value) == SSN


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12345678",
        "1234567890",
        "abc-de-fghi",
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "123-00-4567",
        "123-45-0000",
    ],
)
def test_ssn_normalise_rejects_invalid_numbers(value):
    with pytest.raises(ValidationError):
        intake.ssn_normalise(value)


def test_invalid_ssn_is_a_field_error_and_nothing_is_saved(draft, borrower_user):
    with pytest.raises(ValidationError) as exc:
        intake.borrower_save(actor=borrower_user, application=draft, data={**BORROWER, "ssn": "666-12-3456"})
    assert "ssn" in exc.value.message_dict
    assert not Borrower.objects.exists()


def test_masking_in_the_summary(draft, borrower_user):
    intake.borrower_save(actor=borrower_user, application=draft, data={**BORROWER, "ssn": SSN})
    masked = intake_summary(application=draft, full_ssn=False)
    assert masked.primary.ssn_display == "***-**-6789"
    assert "ssn" in masked.primary.borrower.get_deferred_fields()  # never even decrypted
    full = intake_summary(application=draft, full_ssn=True)
    assert full.primary.ssn_display == SSN
    assert Borrower.objects.get().ssn_masked == "***-**-6789"
    assert intake.ssn_mask("") == ""


# --- validation ------------------------------------------------------------------------------------------


def test_loan_request_save_is_all_or_nothing(draft, borrower_user, monkeypatch):
    """A failure after the update (here the audit row) leaves the stored request as it was."""

    def audit_down(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(intake_sections, "audit_record", audit_down)  # loan_request_save lives there
    with pytest.raises(RuntimeError):
        intake.loan_request_save(
            actor=borrower_user, application=draft, data={"purpose": "purchase", "amount_requested": Decimal("310000")}
        )
    assert Application.objects.get(pk=draft.pk).amount_requested is None


def test_loan_amount_must_fit_the_product(draft, borrower_user):
    with pytest.raises(ValidationError) as exc:
        intake.loan_request_save(
            actor=borrower_user, application=draft, data={"purpose": "purchase", "amount_requested": Decimal("10")}
        )
    assert "amount_requested" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        intake.loan_request_save(
            actor=borrower_user, application=draft, data={"purpose": "personal", "amount_requested": Decimal("1e5")}
        )
    assert "purpose" in exc.value.message_dict
    draft.refresh_from_db()
    assert draft.amount_requested is None


def test_borrower_needs_a_name(draft, borrower_user):
    with pytest.raises(ValidationError) as exc:
        intake.borrower_save(actor=borrower_user, application=draft, data={"first_name": "", "last_name": ""})
    assert {"first_name", "last_name"} <= set(exc.value.message_dict)


def test_rows_are_saved_all_or_nothing(draft, borrower_user):
    rows = [
        {"kind": "checking", "institution": "First Bank", "balance": Decimal("1000")},
        {"kind": "savings", "institution": "Second Bank", "balance": Decimal("-5")},
    ]
    with pytest.raises(ValidationError):
        intake.asset_save(actor=borrower_user, application=draft, rows=rows)
    assert not Asset.objects.exists()


def test_rows_add_change_and_delete(draft, borrower_user):
    saved = intake.liability_save(
        actor=borrower_user,
        application=draft,
        rows=[
            {"kind": "auto", "creditor": "Car Co", "monthly_payment": Decimal("300"), "balance": Decimal("9000")},
            {"kind": "student", "creditor": "Uni", "monthly_payment": Decimal("150"), "balance": None},
        ],
    )
    assert [li.balance for li in saved] == [Decimal("9000"), Decimal("0")]
    auto, student = saved
    kept = intake.liability_save(
        actor=borrower_user,
        application=draft,
        rows=[
            {"id": auto.pk, "kind": "auto", "creditor": "Car Co", "monthly_payment": Decimal("320")},
            {"id": student.pk, "delete": True},
        ],
    )
    assert [(li.pk, li.monthly_payment) for li in kept] == [(auto.pk, Decimal("320.00"))]
    assert list(Liability.objects.values_list("pk", flat=True)) == [auto.pk]
    assert AuditEvent.objects.filter(verb="application.liabilities_saved").count() == 2


def test_rows_of_another_application_cannot_be_touched(draft, borrower_user):
    other = Asset.objects.create(
        application=ApplicationFactory(number="OTHER-1"), kind="checking", balance=Decimal("5")
    )
    with pytest.raises(ValidationError):
        intake.asset_save(actor=borrower_user, application=draft, rows=[{"id": other.pk, "delete": True}])
    assert Asset.objects.filter(pk=other.pk).exists()


def test_employment_must_name_a_borrower_of_this_application(draft, borrower_user):
    stranger = BorrowerFactory(application__number="OTHER-2")
    with pytest.raises(ValidationError):
        intake.employment_save(
            actor=borrower_user,
            application=draft,
            rows=[{"borrower": stranger, "employer_name": "X", "monthly_base_income": Decimal("1")}],
        )
    assert not Employment.objects.exists()


def test_declarations_need_every_answer(draft, borrower_user):
    with pytest.raises(ValidationError) as exc:
        intake.declarations_save(actor=borrower_user, application=draft, data={"bankruptcy_7_years": False})
    assert {"outstanding_judgments", "citizenship", "intend_to_occupy"} <= set(exc.value.message_dict)
    answers = {code: False for code, _ in intake.declaration_questions(draft.product)}
    intake.declarations_save(
        actor=borrower_user, application=draft, data={**answers, "intend_to_occupy": True, "citizenship": "us_citizen"}
    )
    draft.refresh_from_db()
    assert draft.declarations["intend_to_occupy"] is True
    assert draft.declarations["citizenship"] == "us_citizen"


def test_coborrower_saved_and_removed(draft, borrower_user):
    intake.borrower_save(actor=borrower_user, application=draft, data=BORROWER)
    co = intake.borrower_save(
        actor=borrower_user,
        application=draft,
        data={**BORROWER, "first_name": "Bo", "ssn": "234-56-7890"},
        is_primary=False,
    )
    assert not co.is_primary
    assert draft.borrowers.count() == 2
    assert intake.coborrower_remove(actor=borrower_user, application=draft) == 1
    assert list(draft.borrowers.values_list("is_primary", flat=True)) == [True]


# --- e-consent and online submission ---------------------------------------------------------------------


def test_econsent_only_by_the_applicant_recorded_once_and_withdrawable(draft, borrower_user):
    with pytest.raises(PermissionDenied):
        intake.econsent_record(actor=user_with_role(roles.LOAN_OFFICER), application=draft)
    intake.econsent_record(actor=borrower_user, application=draft)
    first = Application.objects.get(pk=draft.pk).econsent_at
    assert first is not None
    intake.econsent_record(actor=borrower_user, application=draft)
    assert Application.objects.get(pk=draft.pk).econsent_at == first
    intake.econsent_record(actor=borrower_user, application=draft, consented=False)
    assert Application.objects.get(pk=draft.pk).econsent_at is None
    assert AuditEvent.objects.filter(verb__startswith="application.econsent").count() == 2


def test_online_submission_needs_econsent_then_the_guards(draft, borrower_user):
    with pytest.raises(TransitionBlocked) as exc:
        intake.application_submit_online(actor=borrower_user, application=draft)
    assert exc.value.reasons == (intake.ECONSENT_REQUIRED_LABEL,)
    intake.econsent_record(actor=borrower_user, application=draft)
    with pytest.raises(TransitionBlocked) as exc:
        intake.application_submit_online(actor=borrower_user, application=draft)
    assert any("TRID" in reason for reason in exc.value.reasons)
    for item in ("name", "ssn", "income", "property", "loan_amount"):
        _add(item, draft, borrower_user)
    intake.application_submit_online(actor=borrower_user, application=draft)
    assert Application.objects.get(pk=draft.pk).status == "submitted"


# --- who may edit when --------------------------------------------------------------------------------------


def _set_status(application, status):
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()


def test_borrowers_edit_only_drafts(draft, borrower_user):
    _set_status(draft, "submitted")
    with pytest.raises(intake.IntakeClosed, match="no longer be changed online"):
        intake.borrower_save(actor=borrower_user, application=draft, data=BORROWER)
    assert not Borrower.objects.exists()


@pytest.mark.parametrize("status", ["draft", "submitted", "processing"])
@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER])
def test_staff_complete_and_correct_until_underwriting(draft, role, status):
    _set_status(draft, status)
    intake.borrower_save(actor=user_with_role(role), application=draft, data=BORROWER)
    assert Borrower.objects.filter(application=draft).exists()


def test_staff_edits_stop_at_underwriting(draft):
    _set_status(draft, "underwriting")
    with pytest.raises(intake.IntakeClosed, match="underwriting"):
        intake.asset_save(
            actor=user_with_role(roles.PROCESSOR),
            application=draft,
            rows=[{"kind": "checking", "balance": Decimal("1")}],
        )


@pytest.mark.parametrize("role", [roles.UNDERWRITER, roles.CLOSER, roles.SERVICER, roles.BORROWER])
def test_other_people_may_not_edit(draft, role):
    with pytest.raises(PermissionDenied):
        intake.borrower_save(actor=user_with_role(role), application=draft, data=BORROWER)


def test_intake_step_is_remembered_and_audited_on_change(draft, borrower_user):
    intake.intake_step_save(actor=borrower_user, application=draft, step="assets")
    intake.intake_step_save(actor=borrower_user, application=draft, step="assets")
    assert Application.objects.get(pk=draft.pk).intake_step == "assets"
    assert AuditEvent.objects.filter(verb="application.intake_step").count() == 1


def test_sandbox_test_identities_are_accepted_only_while_the_sandbox_bureau_is_in_use(settings):
    from django.core.exceptions import ValidationError

    from origination.services.intake import ssn_normalise

    assert ssn_normalise("999000003") == "999-00-0003"
    settings.LENDING_CREDIT_BUREAU = "somewhere.RealBureau"
    with pytest.raises(ValidationError):
        ssn_normalise("999-00-0003")
