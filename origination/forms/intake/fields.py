"""The shared pieces of the intake forms: choices, validators and field builders."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator

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
