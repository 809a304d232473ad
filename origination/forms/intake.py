"""Intake forms: the account and product choice, and one form (or formset) per application section.

Forms validate and shape input; the services in origination.services.intake save it. ``SECTIONS`` ties each
section's form to its service so the public application and the staff entry page behave the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from lending.core import roles
from lending.core.models import User
from origination.models import Application, Asset, Borrower, Employment, Liability, LoanProduct
from origination.models.choices import Occupancy, PropertyType, Purpose
from origination.services import intake

_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY"
)
US_STATES = (("", "Choose…"), *((code, code) for code in _STATE_CODES.split()))
MARITAL_STATUS = (("", "Choose…"), ("married", "Married"), ("separated", "Separated"), ("unmarried", "Unmarried"))
YES_NO = (("yes", "Yes"), ("no", "No"))
ESIGN_DISCLOSURE = (
    "Consent to electronic records and signatures. You agree that we may give you the disclosures, notices and "
    "other documents for this application and any loan that results from it electronically, through this "
    "website and by email, and that you may sign documents electronically. To access and keep them you need a "
    "current web browser, a valid email address and a PDF reader, and enough storage to save them or a printer. "
    "You may ask for a paper copy of any document at no charge, and you may withdraw this consent at any time "
    "by contacting us; withdrawing does not affect documents already delivered. Keep your email address current "
    "with us."
)

postal_code_validator = RegexValidator(r"^\d{5}(-\d{4})?$", "Enter a ZIP code like 62701 or 62701-1234.")
phone_validator = RegexValidator(r"^[0-9+()\-.\s]{7,32}$", "Enter a phone number.")


def money_field(*, required: bool = True, label: str | None = None, positive: bool = False, **kwargs) -> forms.Field:
    return forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01") if positive else Decimal("0"),
        required=required,
        label=label,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def date_field(*, required: bool = True, label: str | None = None) -> forms.DateField:
    return forms.DateField(required=required, label=label, widget=forms.DateInput(attrs={"type": "date"}))


# --- start: product and account ------------------------------------------------------------------------------


class StartForm(forms.Form):
    """Step 0 for a signed-in borrower: which product, for what."""

    product = forms.ModelChoiceField(
        queryset=LoanProduct.objects.filter(is_active=True).order_by("kind", "name"),
        empty_label=None,
        widget=forms.RadioSelect,
        label="Which loan?",
    )
    purpose = forms.ChoiceField(choices=Purpose.choices, label="What is it for?")

    def clean(self):
        cleaned = super().clean()
        product, purpose = cleaned.get("product"), cleaned.get("purpose")
        if product and purpose and purpose not in intake.purposes_for(product):
            self.add_error("purpose", f"Choose a purpose offered for {product.name}.")
        return cleaned


class AccountStartForm(StartForm):
    """Step 0 for a new applicant: the product, and a portal account to save and resume the application."""

    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(max_length=254, help_text="You sign in with it to resume your application.")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email already exists. Sign in to resume your application.")
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class StaffStartForm(StartForm):
    """A loan officer starts an application for a borrower: an existing borrower account, or a new one."""

    email = forms.EmailField(max_length=254, label="Borrower's email")
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    field_order = ["email", "first_name", "last_name", "product", "purpose"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_user: User | None = None

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None and not roles.is_borrower(existing):
            raise ValidationError("This email belongs to a staff account, not a borrower.")
        self.existing_user = existing
        return email


# --- sections ------------------------------------------------------------------------------------------------


class BorrowerForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(max_length=32, required=False, validators=[phone_validator])
    date_of_birth = date_field()
    ssn = forms.CharField(
        label="Social Security number",
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "placeholder": "###-##-####"}),
    )
    marital_status = forms.ChoiceField(choices=MARITAL_STATUS, required=False)
    dependents = forms.IntegerField(min_value=0, max_value=30, initial=0, required=False)
    address_line1 = forms.CharField(max_length=200, label="Current address")
    city = forms.CharField(max_length=100)
    state = forms.ChoiceField(choices=US_STATES)
    postal_code = forms.CharField(max_length=10, label="ZIP code", validators=[postal_code_validator])
    years_at_address = forms.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=99, required=False, label="Years at this address"
    )
    monthly_housing_expense = money_field(required=False, label="Monthly rent or housing payment")

    def __init__(self, *args, ssn_on_file: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.ssn_on_file = ssn_on_file
        if ssn_on_file:
            self.fields["ssn"].help_text = f"On file: {ssn_on_file}. Leave blank to keep it."

    def clean_ssn(self) -> str:
        value = self.cleaned_data.get("ssn", "").strip()
        if not value:
            if not self.ssn_on_file and self.ssn_required:
                raise ValidationError("Enter the Social Security number.")
            return ""
        return intake.ssn_normalise(value)

    ssn_required = True

    def clean_date_of_birth(self) -> date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is None:
            return None
        today = date.today()  # noqa: DTZ011 -- a birthday check needs no time zone precision
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if born > today or age > 120:
            raise ValidationError("Enter a real date of birth.")
        if age < 18:
            raise ValidationError("Borrowers must be at least 18 years old.")
        return born


class CoBorrowerForm(BorrowerForm):
    """The same fields, all optional unless a co-borrower is on the application."""

    has_co_borrower = forms.BooleanField(required=False, label="Someone is applying with me (co-borrower)")
    field_order = ["has_co_borrower"]
    REQUIRED = ("first_name", "last_name", "date_of_birth", "address_line1", "city", "state", "postal_code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.REQUIRED:
            self.fields[name].required = False

    @property
    def ssn_required(self) -> bool:  # type: ignore[override]  # a fixed True on BorrowerForm, computed here
        return bool(self.data.get(self.add_prefix("has_co_borrower"))) if self.is_bound else False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_co_borrower"):
            for name in self.REQUIRED:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "This field is required for a co-borrower.")
        return cleaned


class RowForm(forms.Form):
    """A row of a section formset; ``id`` points at the saved row being edited."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EmploymentForm(RowForm):
    borrower = forms.TypedChoiceField(coerce=int, label="Whose income")
    employer_name = forms.CharField(max_length=200, label="Employer or income source")
    position = forms.CharField(max_length=120, required=False, label="Position or title")
    start_date = date_field(required=False, label="Start date")
    is_current = forms.BooleanField(required=False, initial=True, label="Current job")
    is_self_employed = forms.BooleanField(required=False, label="Self-employed")
    monthly_base_income = money_field(label="Monthly base income")
    monthly_other_income = money_field(required=False, label="Monthly other income (overtime, bonus, pension...)")

    def __init__(self, *args, borrowers: Sequence[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].choices = list(borrowers)  # type: ignore[attr-defined]  # a ChoiceField
        if borrowers and not self.initial.get("borrower"):
            self.initial["borrower"] = borrowers[0][0]

    def clean_start_date(self) -> date | None:
        start = self.cleaned_data.get("start_date")
        if start and start > date.today():  # noqa: DTZ011
            raise ValidationError("The start date cannot be in the future.")
        return start


class AssetForm(RowForm):
    # A blank first choice: otherwise the browser submits the first kind and the empty extra row looks filled in.
    kind = forms.ChoiceField(choices=(("", "Choose…"), *Asset.Kind.choices), label="Type")
    institution = forms.CharField(max_length=200, required=False, label="Bank or institution")
    balance = money_field(label="Balance or value")


class LiabilityForm(RowForm):
    kind = forms.ChoiceField(choices=(("", "Choose…"), *Liability.Kind.choices), label="Type")
    creditor = forms.CharField(max_length=200, required=False)
    monthly_payment = money_field(label="Monthly payment")
    balance = money_field(required=False, label="Unpaid balance")
    paid_off_at_closing = forms.BooleanField(required=False, label="Will be paid off at or before closing")


class BaseRowFormSet(forms.BaseFormSet):
    minimum_rows = 0
    minimum_message = ""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this entry"

    def _kept(self, form) -> bool:
        data = getattr(form, "cleaned_data", None) or {}
        return bool(data) and not data.get("DELETE") and (form.has_changed() or bool(data.get("id")))

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if sum(1 for form in self.forms if self._kept(form)) < self.minimum_rows:
            raise ValidationError(self.minimum_message)

    def rows(self) -> list[dict[str, Any]]:
        """The service's row list: the rows changed, added or marked for removal (unchanged rows stay as they are)."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or not form.has_changed():
                continue
            row = {k: v for k, v in data.items() if k != "DELETE"}
            row["delete"] = bool(data.get("DELETE"))
            rows.append(row)
        return rows


class EmploymentFormSet(BaseRowFormSet):
    minimum_rows = 1
    minimum_message = "Add at least one job or other source of income."


def _formset(form, base):
    return forms.formset_factory(
        form, formset=base, extra=1, can_delete=True, can_delete_extra=False, max_num=20, absolute_max=40
    )


class PropertyForm(forms.Form):
    address_line1 = forms.CharField(max_length=200, label="Property address")
    city = forms.CharField(max_length=100)
    state = forms.ChoiceField(choices=US_STATES)
    postal_code = forms.CharField(max_length=10, label="ZIP code", validators=[postal_code_validator])
    property_type = forms.ChoiceField(choices=PropertyType.choices)
    occupancy = forms.ChoiceField(choices=Occupancy.choices)
    estimated_value = money_field(positive=True, label="Estimated value")
    purchase_price = money_field(required=False, positive=True, label="Purchase price (if buying)")
    annual_property_tax = money_field(required=False, label="Annual property taxes")
    annual_insurance = money_field(required=False, label="Annual homeowner's insurance")
    monthly_hoa = money_field(required=False, label="Monthly HOA dues")

    def __init__(self, *args, purpose: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.purpose = purpose
        if purpose == Purpose.PURCHASE:
            self.fields["purchase_price"].required = True
            self.fields["purchase_price"].label = "Purchase price"


class LoanRequestForm(forms.Form):
    purpose = forms.ChoiceField()
    amount_requested = money_field(positive=True, label="Amount you want to borrow")

    def __init__(self, *args, product: LoanProduct, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["purpose"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (p, Purpose(p).label) for p in intake.purposes_for(product)
        ]
        self.fields[
            "amount_requested"
        ].help_text = f"{product.name}: from ${product.min_amount:,.0f} to ${product.max_amount:,.0f}."

    def clean_amount_requested(self) -> Decimal:
        amount = self.cleaned_data["amount_requested"]
        if not self.product.min_amount <= amount <= self.product.max_amount:
            raise ValidationError(
                f"{self.product.name} lends from ${self.product.min_amount:,.2f} to ${self.product.max_amount:,.2f}."
            )
        return amount


class DeclarationsForm(forms.Form):
    def __init__(self, *args, product: LoanProduct, **kwargs):
        super().__init__(*args, **kwargs)
        for code, text in intake.declaration_questions(product):
            self.fields[code] = forms.TypedChoiceField(
                label=text,
                choices=YES_NO,
                coerce=lambda value: value == "yes",
                widget=forms.RadioSelect,
            )
        self.fields["citizenship"] = forms.ChoiceField(
            choices=intake.CITIZENSHIP_CHOICES, widget=forms.RadioSelect, label="Citizenship"
        )
        self.fields["explanation"] = forms.CharField(
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3}),
            label="If you answered yes to any question, explain",
        )


class EConsentForm(forms.Form):
    consent = forms.BooleanField(
        label="I have read the disclosure above and agree to receive documents and sign electronically.",
        error_messages={"required": "To apply online, consent to electronic documents (or call us to apply on paper)."},
    )


# --- the section registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One part of the application: its form, the initial data from what is on file, and the service call."""

    slug: str
    title: str
    is_formset: bool = False
    mortgage_only: bool = False
    borrower_only: bool = False  # e-consent is the applicant's own act

    def build(self, application: Application, data=None):
        builder = getattr(self, f"_build_{self.slug}")
        return builder(application, data)

    def save(self, bound, *, actor, application: Application) -> None:
        saver = getattr(self, f"_save_{self.slug}")
        saver(bound, actor=actor, application=application)

    # builders ---------------------------------------------------------------------------------------------

    def _borrower_initial(self, borrower: Borrower | None) -> dict[str, Any]:
        if borrower is None:
            return {}
        return {name: getattr(borrower, name) for name in intake.BORROWER_FIELDS}

    def _build_borrower(self, application, data):
        borrower = application.borrowers.filter(is_primary=True).defer("ssn").first()
        initial = self._borrower_initial(borrower)
        if borrower is None and application.applicant_id:
            user = application.applicant
            initial = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
        return BorrowerForm(data, initial=initial, ssn_on_file=borrower.ssn_masked if borrower else "")

    def _build_co_borrower(self, application, data):
        borrower = application.borrowers.filter(is_primary=False).defer("ssn").order_by("id").first()
        initial = {**self._borrower_initial(borrower), "has_co_borrower": borrower is not None}
        return CoBorrowerForm(data, initial=initial, ssn_on_file=borrower.ssn_masked if borrower else "")

    def _build_employment(self, application, data):
        borrowers = list(application.borrowers.defer("ssn").order_by("-is_primary", "id"))
        choices = [(b.pk, f"{b}{'' if b.is_primary else ' (co-borrower)'}") for b in borrowers]
        jobs = Employment.objects.filter(borrower__application=application).order_by("-borrower__is_primary", "id")
        rows = [
            {"id": e.pk, "borrower": e.borrower_id, **{name: getattr(e, name) for name in intake.EMPLOYMENT_FIELDS}}
            for e in jobs
        ]
        formset_class = _formset(EmploymentForm, EmploymentFormSet)
        return formset_class(data, initial=rows, prefix="employment", form_kwargs={"borrowers": choices})

    def _build_assets(self, application, data):
        rows = [
            {"id": a.pk, **{name: getattr(a, name) for name in intake.ASSET_FIELDS}}
            for a in application.assets.order_by("id")
        ]
        return _formset(AssetForm, BaseRowFormSet)(data, initial=rows, prefix="assets")

    def _build_liabilities(self, application, data):
        rows = [
            {"id": li.pk, **{name: getattr(li, name) for name in intake.LIABILITY_FIELDS}}
            for li in application.liabilities.order_by("id")
        ]
        return _formset(LiabilityForm, BaseRowFormSet)(data, initial=rows, prefix="liabilities")

    def _build_property(self, application, data):
        prop = getattr(application, "subject_property", None)
        initial = {name: getattr(prop, name) for name in intake.PROPERTY_FIELDS} if prop else {}
        return PropertyForm(data, initial=initial, purpose=application.purpose)

    def _build_loan(self, application, data):
        initial = {"purpose": application.purpose, "amount_requested": application.amount_requested}
        return LoanRequestForm(data, initial=initial, product=application.product)

    def _build_declarations(self, application, data):
        answers = application.declarations or {}
        initial = {k: ("yes" if v else "no") if isinstance(v, bool) else v for k, v in answers.items()}
        return DeclarationsForm(data, initial=initial, product=application.product)

    def _build_econsent(self, application, data):
        return EConsentForm(data, initial={"consent": application.econsent_at is not None})

    # savers -----------------------------------------------------------------------------------------------

    def _save_borrower(self, form, *, actor, application):
        intake.borrower_save(actor=actor, application=application, data=form.cleaned_data, is_primary=True)

    def _save_co_borrower(self, form, *, actor, application):
        if form.cleaned_data.get("has_co_borrower"):
            intake.borrower_save(actor=actor, application=application, data=form.cleaned_data, is_primary=False)
        else:
            intake.coborrower_remove(actor=actor, application=application)

    def _save_employment(self, formset, *, actor, application):
        intake.employment_save(actor=actor, application=application, rows=formset.rows())

    def _save_assets(self, formset, *, actor, application):
        intake.asset_save(actor=actor, application=application, rows=formset.rows())

    def _save_liabilities(self, formset, *, actor, application):
        intake.liability_save(actor=actor, application=application, rows=formset.rows())

    def _save_property(self, form, *, actor, application):
        intake.property_save(actor=actor, application=application, data=form.cleaned_data)

    def _save_loan(self, form, *, actor, application):
        intake.loan_request_save(actor=actor, application=application, data=form.cleaned_data)

    def _save_declarations(self, form, *, actor, application):
        intake.declarations_save(actor=actor, application=application, data=form.cleaned_data)

    def _save_econsent(self, form, *, actor, application):
        intake.econsent_record(actor=actor, application=application, consented=form.cleaned_data["consent"])


SECTIONS = (
    Section("borrower", "Borrower"),
    Section("co_borrower", "Co-borrower"),
    Section("employment", "Employment and income", is_formset=True),
    Section("assets", "Assets", is_formset=True),
    Section("liabilities", "Liabilities", is_formset=True),
    Section("property", "Property", mortgage_only=True),
    Section("loan", "Loan request"),
    Section("declarations", "Declarations"),
    Section("econsent", "E-consent", borrower_only=True),
)
SECTIONS_BY_SLUG = {s.slug: s for s in SECTIONS}


def sections_for(application: Application, *, staff: bool = False) -> list[Section]:
    """The sections this application has (no property for unsecured products), in form order."""
    mortgage = intake.has_property_step(application.product)
    return [s for s in SECTIONS if (mortgage or not s.mortgage_only) and not (staff and s.borrower_only)]


def apply_service_errors(bound, exc: ValidationError) -> list[str]:
    """Put a service's validation errors on the form's fields where they match; return the rest."""
    leftover: list[str] = []
    if hasattr(exc, "error_dict") and isinstance(bound, forms.Form):
        for name, errors in exc.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            if name in bound.fields:
                bound.add_error(name, messages)
            else:
                leftover.extend(messages)
        return leftover
    return list(exc.messages)
