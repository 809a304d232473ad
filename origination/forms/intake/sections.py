"""One form (or formset) per application section; the services in origination.services.intake save them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from origination.forms.intake.fields import (
    MARITAL_STATUS,
    US_STATES,
    YES_NO,
    date_field,
    money_field,
    phone_validator,
    postal_code_validator,
)
from origination.models import Asset, Liability, LoanProduct
from origination.models.choices import Occupancy, PropertyType, Purpose
from origination.services import intake

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
