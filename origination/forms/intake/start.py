"""Step 0 of an application: the product and purpose, and for a new applicant a portal account."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from lending.core import roles
from lending.core.models import User
from origination.models import LoanProduct
from origination.models.choices import Purpose
from origination.services import intake

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
        # No "already registered" error here: that would tell anyone which emails have accounts (the sign-up
        # service emails the owner instead).
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

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
