"""The public online application: account, each step, save and resume, review and submit; errors and access."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from lending.core import roles
from lending.core.models import User
from origination.models import Application, Asset, Borrower, Demographics, Employment, Property, TransitionLog
from origination.services import intake
from tests.core.factories import PASSWORD, user_with_role
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory

pytestmark = pytest.mark.django_db

EMAIL = "grace@example.test"
BORROWER_STEP = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": EMAIL,
    "phone": "555-0100",
    "date_of_birth": "1980-12-09",
    "ssn": "123-45-6789",
    "marital_status": "married",
    "dependents": "1",
    "address_line1": "1 Navy Way",
    "city": "Arlington",
    "state": "VA",
    "postal_code": "22202",
    "years_at_address": "4.5",
    "monthly_housing_expense": "1800.00",
}
CO_BORROWER_STEP = {
    **BORROWER_STEP,
    "has_co_borrower": "on",
    "first_name": "Vincent",
    "email": "vincent@example.test",
    "ssn": "234-56-7890",
    "date_of_birth": "1979-01-02",
}
PROPERTY_STEP = {
    "address_line1": "400 Oak Avenue",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
    "property_type": "single_family",
    "occupancy": "primary",
    "estimated_value": "375000.00",
    "purchase_price": "370000.00",
    "annual_property_tax": "4800",
    "annual_insurance": "1500",
    "monthly_hoa": "",
}


def formset(prefix, rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def declarations(product, **overrides):
    answers = {code: "no" for code, _ in intake.declaration_questions(product)}
    if "intend_to_occupy" in answers:
        answers["intend_to_occupy"] = "yes"
    return {**answers, "citizenship": "us_citizen", "explanation": "", **overrides}


def step(application, slug):
    return reverse("origination_portal:apply-step", args=[application.pk, slug])


def start(client, product, **overrides):
    data = {
        "product": product.pk,
        "purpose": "purchase",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": EMAIL,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post(reverse("apply"), data)


def start_signed_in(client, product, **overrides):
    """Sign up at /apply/ (which signs nobody in), then sign in as the new applicant."""
    response = start(client, product, **overrides)
    assert response["Location"] == reverse("apply-check-email")
    client.force_login(User.objects.get(email=overrides.get("email", EMAIL)))
    return response


# --- the whole journey ---------------------------------------------------------------------------------------


def test_apply_online_save_resume_and_submit(client, django_capture_on_commit_callbacks):
    product = LoanProductFactory()
    page = client.get(reverse("apply"))
    assert page.status_code == 200
    assert "Sign in to resume" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, product)
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("apply-check-email")
    assert "_auth_user_id" not in client.session
    assert "sign in" in client.get(response["Location"]).content.decode()
    (opened,) = mail.outbox
    assert opened.to == [EMAIL]
    assert opened.subject == f"Your application {application.number} is saved"
    assert "http://127.0.0.1:8000/accounts/login/?next=/apply/" in opened.body
    response = client.post(
        f"{reverse('login')}?next=/apply/", {"username": EMAIL, "password": PASSWORD, "next": "/apply/"}
    )
    assert response["Location"] == "/apply/"
    assert client.get("/apply/")["Location"] == step(application, "borrower")
    user = User.objects.get(email=EMAIL)
    assert roles.is_borrower(user)
    assert application.applicant == user
    assert application.status == "draft"
    assert application.number.startswith("A-")
    assert application.intake_step == "borrower"

    page = client.get(step(application, "borrower"))
    assert page.status_code == 200
    assert 'value="Grace"' in page.content.decode()
    response = client.post(step(application, "borrower"), {**BORROWER_STEP, "action": "continue"})
    assert response["Location"] == step(application, "co_borrower")

    assert client.get(step(application, "co_borrower")).status_code == 200
    response = client.post(step(application, "co_borrower"), {**CO_BORROWER_STEP, "action": "continue"})
    assert response["Location"] == step(application, "employment")
    primary, co = Borrower.objects.order_by("-is_primary", "id")
    assert (primary.ssn_last4, co.ssn_last4, co.is_primary) == ("6789", "7890", False)

    assert client.get(step(application, "employment")).status_code == 200
    jobs = [
        {"borrower": primary.pk, "employer_name": "US Navy", "monthly_base_income": "9000", "is_current": "on"},
        {"borrower": co.pk, "employer_name": "Univac", "monthly_base_income": "6000", "is_current": "on"},
        {"borrower": primary.pk, "is_current": "on"},  # the blank row the page offers, left empty
    ]
    response = client.post(step(application, "employment"), {**formset("employment", jobs), "action": "continue"})
    assert response["Location"] == step(application, "assets")
    assert Employment.objects.count() == 2

    # Save and finish later on the assets step, sign out, sign in again: /apply/ resumes there.
    assets = [{"kind": "checking", "institution": "First Bank", "balance": "85000"}, {}]
    response = client.post(step(application, "assets"), {**formset("assets", assets), "action": "later"})
    assert response["Location"] == reverse("origination_portal:application", args=[application.pk])
    application.refresh_from_db()
    assert application.intake_step == "assets"
    assert Asset.objects.count() == 1
    client.post(reverse("logout"))
    assert client.get(step(application, "assets")).status_code == 302  # to the sign-in page
    response = client.post(reverse("login"), {"username": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("apply"))
    assert response["Location"] == step(application, "assets")
    panel = client.get(reverse("origination_portal:intake-panel", args=[application.pk])).content.decode()
    assert f'href="{reverse("origination_portal:apply-resume", args=[application.pk])}"' not in panel
    assert f'href="{step(application, "assets")}"' in panel
    assert "Continue application" in panel
    assert client.get(reverse("origination_portal:apply-resume", args=[application.pk]))["Location"] == step(
        application, "assets"
    )

    page = client.get(step(application, "assets")).content.decode()
    assert "First Bank" in page
    saved = Asset.objects.get()
    assets = [{"id": saved.pk, "kind": "checking", "institution": "First Bank", "balance": "85000"}, {}]
    response = client.post(step(application, "assets"), {**formset("assets", assets, initial=1), "action": "continue"})
    assert response["Location"] == step(application, "liabilities")

    debts = [{"kind": "auto", "creditor": "Car Co", "monthly_payment": "350", "balance": "9000"}, {}]
    response = client.post(step(application, "liabilities"), {**formset("liabilities", debts), "action": "continue"})
    assert response["Location"] == step(application, "property")

    assert client.get(step(application, "property")).status_code == 200
    response = client.post(step(application, "property"), {**PROPERTY_STEP, "action": "continue"})
    assert response["Location"] == step(application, "loan")
    assert Property.objects.get().monthly_hoa == Decimal("0")

    assert client.get(step(application, "loan")).status_code == 200
    response = client.post(
        step(application, "loan"), {"purpose": "purchase", "amount_requested": "296000", "action": "continue"}
    )
    assert response["Location"] == step(application, "declarations")
    application.refresh_from_db()
    assert application.application_date is not None  # the sixth TRID item (loan amount) arrived

    assert client.get(step(application, "declarations")).status_code == 200
    response = client.post(step(application, "declarations"), {**declarations(product), "action": "continue"})
    assert response["Location"] == step(application, "demographics")

    page = client.get(step(application, "demographics")).content.decode()
    assert "Demographic information of borrowers." in page
    assert "I do not wish to provide this information" in page
    answers = {}
    for borrower in Borrower.objects.all():
        answers |= {f"b{borrower.pk}_ethnicity": "2", f"b{borrower.pk}_race": "5", f"b{borrower.pk}_sex_declined": "on"}
    response = client.post(step(application, "demographics"), {**answers, "action": "continue"})
    assert response["Location"] == step(application, "econsent")
    saved = [(d.ethnicity, d.race, d.sex, d.sex_declined) for d in Demographics.objects.all()]
    assert saved == [(["2"], ["5"], [], True)] * Borrower.objects.count()

    page = client.get(step(application, "econsent")).content.decode()
    assert "Consent to electronic records and signatures" in page
    response = client.post(step(application, "econsent"), {"consent": "on", "action": "continue"})
    assert response["Location"] == reverse("origination_portal:apply-review", args=[application.pk])

    review = client.get(response["Location"])
    body = review.content.decode()
    assert review.status_code == 200
    assert "***-**-6789" in body
    assert "123-45-6789" not in body
    assert "US Navy" in body
    assert "400 Oak Avenue" in body
    assert "Before you can submit" not in body

    response = client.post(reverse("origination_portal:apply-review", args=[application.pk]))
    assert response["Location"] == reverse("origination_portal:application", args=[application.pk])
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.submitted_at is not None
    assert TransitionLog.objects.get().actor == user

    # Once submitted the form is closed: pages redirect, posts are refused.
    assert client.get(step(application, "loan"))["Location"] == reverse(
        "origination_portal:application", args=[application.pk]
    )
    refused = client.post(step(application, "loan"), {"purpose": "purchase", "amount_requested": "1"})
    assert refused.status_code == 409
    assert "can no longer be changed" in refused.content.decode()
    assert client.post(reverse("origination_portal:apply-review", args=[application.pk])).status_code == 409
    panel = client.get(reverse("origination_portal:intake-panel", args=[application.pk])).content.decode()
    assert "Continue application" not in panel
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.amount_requested) == ("submitted", application.amount_requested)
    assert TransitionLog.objects.count() == 1  # the refused second submit logged nothing


def test_consumer_application_has_no_property_step(client):
    product = ConsumerProductFactory()
    start_signed_in(client, product, purpose="personal")
    application = Application.objects.get()
    client.post(step(application, "borrower"), {**BORROWER_STEP, "action": "continue"})
    response = client.post(step(application, "co_borrower"), {"action": "continue"})
    assert response["Location"] == step(application, "employment")
    assert client.get(step(application, "property")).status_code == 404
    page = client.get(step(application, "liabilities")).content.decode()
    assert "Property" not in page.split('data-testid="apply-progress"')[1].split("</nav>")[0]
    debts = [{}]
    response = client.post(step(application, "liabilities"), {**formset("liabilities", debts), "action": "continue"})
    assert response["Location"] == step(application, "loan")
    borrower = Borrower.objects.get(application=application)
    assert (borrower.first_name, borrower.last_name, borrower.is_primary) == ("Grace", "Hopper", True)
    assert not Property.objects.filter(application=application).exists()
    assert not application.liabilities.exists()  # the blank row is not a debt
    page = client.get(step(application, "declarations")).content.decode()
    assert "primary residence" not in page  # mortgage-only questions left out


def test_save_and_add_another_row(client):
    start_signed_in(client, LoanProductFactory())
    application = Application.objects.get()
    rows = [{"kind": "savings", "institution": "Credit Union", "balance": "100"}]
    response = client.post(step(application, "assets"), {**formset("assets", rows), "action": "add"})
    assert response["Location"] == step(application, "assets")
    page = client.get(step(application, "assets")).content.decode()
    assert page.count("Add an entry") == 1
    assert "Entry 1" in page
    saved = Asset.objects.get(application=application)
    assert (saved.kind, saved.institution, saved.balance) == ("savings", "Credit Union", Decimal("100.00"))


def test_deleting_a_row_from_the_step(client):
    start_signed_in(client, LoanProductFactory())
    application = Application.objects.get()
    rows = [{"kind": "savings", "balance": "100"}, {}]
    client.post(step(application, "assets"), {**formset("assets", rows), "action": "continue"})
    saved = Asset.objects.get()
    rows = [{"id": saved.pk, "kind": "savings", "balance": "100", "DELETE": "on"}, {}]
    client.post(step(application, "assets"), {**formset("assets", rows, initial=1), "action": "continue"})
    assert not Asset.objects.exists()


# --- errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password2": "something-else-entirely"}, "The two passwords differ"),
        ({"password1": "1234567890123", "password2": "1234567890123"}, "entirely numeric"),
        ({"email": "not-an-email"}, "valid email"),
        ({"purpose": "personal"}, "Choose a purpose offered"),
    ],
)
def test_account_step_shows_field_errors(client, overrides, message):
    response = start(client, LoanProductFactory(), **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not Application.objects.exists()


def test_an_existing_email_gets_the_same_answer_and_its_owner_an_email(client, django_capture_on_commit_callbacks):
    owner = user_with_role(roles.BORROWER, email=EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, LoanProductFactory(), email="Grace@Example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("apply-check-email")
    assert "_auth_user_id" not in client.session
    assert not Application.objects.exists()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # the sign-up's password changed nothing
    (notice,) = mail.outbox
    assert notice.to == [EMAIL]
    assert notice.subject == "Someone tried to open an account with your email"
    assert "http://127.0.0.1:8000/accounts/login/?next=/apply/" in notice.body
    assert "http://127.0.0.1:8000/accounts/password/reset/" in notice.body


def test_a_new_and_an_existing_email_cannot_be_told_apart(client, django_capture_on_commit_callbacks):
    user_with_role(roles.BORROWER, email="taken@example.test")
    product = LoanProductFactory()
    answers = []
    for email in ("taken@example.test", "fresh@example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = start(client, product, email=email)
        page = client.get(response["Location"]).content.decode()
        answers.append((response.status_code, response["Location"], re.sub(r'"X-CSRFToken": "\w+"', "", page)))
    assert answers[0] == answers[1]
    assert [m.to for m in mail.outbox] == [["taken@example.test"], ["fresh@example.test"]]


@pytest.mark.parametrize(
    ("slug", "data", "message"),
    [
        ("borrower", {**BORROWER_STEP, "ssn": "666-12-3456"}, "not a valid Social Security number"),
        ("borrower", {**BORROWER_STEP, "ssn": "12345"}, "9 digits"),
        ("borrower", {**BORROWER_STEP, "ssn": ""}, "Enter the Social Security number"),
        ("borrower", {**BORROWER_STEP, "postal_code": "ABCDE"}, "ZIP code"),
        ("borrower", {**BORROWER_STEP, "date_of_birth": "2020-01-01"}, "at least 18"),
        ("co_borrower", {"has_co_borrower": "on", "first_name": "X"}, "required for a co-borrower"),
        ("loan", {"purpose": "purchase", "amount_requested": "1000"}, "lends from"),
        ("loan", {"purpose": "purchase", "amount_requested": "abc"}, "Enter a number"),
        ("property", {**PROPERTY_STEP, "estimated_value": "0"}, "greater than or equal to 0.01"),
        ("property", {**PROPERTY_STEP, "purchase_price": ""}, "This field is required"),
        ("declarations", {"citizenship": "us_citizen"}, "This field is required"),
        ("econsent", {}, "consent to electronic documents"),
    ],
)
def test_steps_show_field_errors_and_save_nothing(client, slug, data, message):
    start_signed_in(client, LoanProductFactory())
    application = Application.objects.get()
    response = client.post(step(application, slug), {**data, "action": "continue"})
    assert response.status_code == 400
    assert message in response.content.decode()
    application.refresh_from_db()
    assert application.intake_step == "borrower"
    assert application.amount_requested is None
    assert not Borrower.objects.filter(is_primary=False).exists()


def test_employment_needs_at_least_one_income(client):
    start_signed_in(client, LoanProductFactory())
    application = Application.objects.get()
    client.post(step(application, "borrower"), {**BORROWER_STEP, "action": "continue"})
    primary = Borrower.objects.get()
    blank = [{"borrower": primary.pk, "is_current": "on"}]
    response = client.post(step(application, "employment"), {**formset("employment", blank), "action": "continue"})
    assert response.status_code == 400
    assert "Add at least one job" in response.content.decode()
    half = [{"borrower": primary.pk, "employer_name": "Acme", "is_current": "on"}]
    response = client.post(step(application, "employment"), {**formset("employment", half), "action": "continue"})
    assert response.status_code == 400
    assert not Employment.objects.exists()


def test_review_lists_what_blocks_submission(client):
    start_signed_in(client, LoanProductFactory())
    application = Application.objects.get()
    review_url = reverse("origination_portal:apply-review", args=[application.pk])
    body = client.get(review_url).content.decode()
    assert "Before you can submit" in body
    trid = "the TRID application items are not complete (name, income, SSN, property, value, loan amount)"
    assert f"<li>{trid}</li>" in body
    assert intake.ECONSENT_REQUIRED_LABEL in body
    assert "Still needed for a complete application" in body
    response = client.post(review_url)
    assert response.status_code == 409
    assert intake.ECONSENT_REQUIRED_LABEL in response.content.decode()
    client.post(step(application, "econsent"), {"consent": "on", "action": "continue"})
    response = client.post(review_url)
    assert response.status_code == 409
    assert f"<li>{trid}</li>" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "draft"


# --- who gets in -----------------------------------------------------------------------------------------------


def _draft_for(user):
    return intake.application_start(actor=user, product=LoanProductFactory(), purpose="purchase")


def test_signed_in_borrower_without_a_draft_starts_without_an_account_form(client):
    borrower = user_with_role(roles.BORROWER)
    client.force_login(borrower)
    page = client.get(reverse("apply")).content.decode()
    assert 'name="password1"' not in page
    assert "Start my application" in page
    product = LoanProductFactory()
    response = client.post(reverse("apply"), {"product": product.pk, "purpose": "refinance"})
    application = Application.objects.get()
    assert response["Location"] == step(application, "borrower")
    assert application.applicant == borrower
    # With a draft, /apply/ resumes it unless they ask for a new one.
    assert client.get(reverse("apply"))["Location"] == step(application, "borrower")
    assert client.get(reverse("apply"), {"new": "1"}).status_code == 200


def test_staff_are_told_to_use_the_workspace(client):
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    page = client.get(reverse("apply"))
    assert page.status_code == 200
    assert "staff account" in page.content.decode()
    assert reverse("origination:intake-new") in page.content.decode()
    product = LoanProductFactory()
    assert client.post(reverse("apply"), {"product": product.pk, "purpose": "purchase"}).status_code == 403
    assert not Application.objects.exists()


def _apply_urls(application):
    return [
        step(application, "borrower"),
        reverse("origination_portal:apply-review", args=[application.pk]),
        reverse("origination_portal:apply-resume", args=[application.pk]),
        reverse("origination_portal:intake-panel", args=[application.pk]),
    ]


def test_only_the_owner_reaches_the_steps(client):
    owner = user_with_role(roles.BORROWER)
    application = _draft_for(owner)
    client.force_login(owner)
    assert client.get(_apply_urls(application)[0]).status_code == 200
    assert client.get(_apply_urls(application)[1]).status_code == 200
    assert client.get(_apply_urls(application)[2]).status_code == 302
    assert client.get(_apply_urls(application)[3]).status_code == 200
    assert client.get(step(application, "nonsense")).status_code == 404

    client.force_login(user_with_role(roles.BORROWER))
    for url in _apply_urls(application):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(step(application, "loan"), {"purpose": "purchase", "amount_requested": "90000"}).status_code == 404
    )
    application.refresh_from_db()
    assert application.amount_requested is None


@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER, roles.SERVICER])
def test_staff_cannot_use_the_borrower_steps(client, role):
    application = _draft_for(user_with_role(roles.BORROWER))
    client.force_login(user_with_role(role))
    for url in _apply_urls(application):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client):
    application = _draft_for(user_with_role(roles.BORROWER))
    for url in _apply_urls(application):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
