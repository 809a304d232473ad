"""What an application must hold, as rules that services, selectors and forms share: the purposes each kind
of product lends for, the declarations asked, the six TRID application items (Reg Z 1026.2(a)(3)(ii)) and the
SSN format. Pure functions over loaded rows: no writes, and no import of services (so selectors may use it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from origination.credit.sandbox import MAGIC_SSNS
from origination.models import Borrower, Employment, LoanProduct, Property
from origination.models.choices import ProductKind, Purpose

PURPOSES_BY_KIND: dict[str, tuple[str, ...]] = {
    ProductKind.MORTGAGE: (Purpose.PURCHASE, Purpose.REFINANCE, Purpose.CASH_OUT),
    ProductKind.CONSUMER: (Purpose.PERSONAL,),
    ProductKind.BUSINESS: (Purpose.BUSINESS,),
}

# URLA section 5 style declarations: (code, question, mortgage only).
DECLARATION_QUESTIONS: tuple[tuple[str, str, bool], ...] = (
    ("outstanding_judgments", "Are there any outstanding judgments against you?", False),
    ("bankruptcy_7_years", "Have you declared bankruptcy within the past 7 years?", False),
    (
        "foreclosure_7_years",
        "Have you had property foreclosed upon, or given title or deed in lieu of foreclosure, in the past 7 years?",
        False,
    ),
    (
        "party_to_lawsuit",
        "Are you a party to a lawsuit in which you potentially have a personal financial liability?",
        False,
    ),
    ("delinquent_federal_debt", "Are you currently delinquent or in default on a federal debt?", False),
    ("alimony_child_support", "Are you obligated to pay alimony, child support or separate maintenance?", False),
    ("down_payment_borrowed", "Is any part of the down payment or closing costs borrowed?", True),
    ("co_signer", "Are you a co-signer or guarantor on any debt or loan not disclosed on this application?", False),
    ("intend_to_occupy", "Will you occupy the property as your primary residence?", True),
)
CITIZENSHIP_CHOICES = (
    ("us_citizen", "U.S. citizen"),
    ("permanent_resident", "Permanent resident alien"),
    ("non_permanent_resident", "Non-permanent resident alien"),
)
TRID_ITEM_LABELS = {
    "name": "Borrower name",
    "income": "Income",
    "ssn": "Social Security number",
    "property_address": "Property address",
    "estimated_value": "Estimated property value",
    "loan_amount": "Loan amount",
}

_SSN_DIGITS = re.compile(r"^\d{9}$")
_SSN_SEPARATORS = re.compile(r"[\s-]")

# --- SSN --------------------------------------------------------------------------------------------------


SANDBOX_BUREAU = "origination.credit.sandbox.SandboxBureau"


def ssn_normalise(value: str) -> str:
    """Validate an SSN and return it as "123-45-6789".

    SSA rules: nine digits; area not 000, 666 or 900-999; group not 00; serial not 0000.
    """
    digits = _SSN_SEPARATORS.sub("", value or "")
    if not _SSN_DIGITS.match(digits):
        raise ValidationError("Enter a Social Security number of 9 digits, like 123-45-6789.", code="ssn_format")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    formatted = f"{area}-{group}-{serial}"
    if formatted in MAGIC_SSNS and settings.LENDING_CREDIT_BUREAU == SANDBOX_BUREAU:
        return formatted  # the sandbox bureau's test identities (never-issued numbers) work while it is in use
    if area in ("000", "666") or area.startswith("9"):
        raise ValidationError("That is not a valid Social Security number (area number).", code="ssn_area")
    if group == "00" or serial == "0000":
        raise ValidationError("That is not a valid Social Security number.", code="ssn_invalid")
    return formatted


def ssn_mask(last4: str) -> str:
    return f"***-**-{last4}" if last4 else ""


# --- products and the TRID items -------------------------------------------------------------------------


def purposes_for(product: LoanProduct) -> tuple[str, ...]:
    return tuple(PURPOSES_BY_KIND.get(product.kind, ()))


def has_property_step(product: LoanProduct) -> bool:
    """Only mortgages have a subject property (and the two TRID property items)."""
    return product.kind == ProductKind.MORTGAGE


def declaration_questions(product: LoanProduct) -> list[tuple[str, str]]:
    mortgage = has_property_step(product)
    return [(code, text) for code, text, mortgage_only in DECLARATION_QUESTIONS if mortgage or not mortgage_only]


def trid_missing_from(
    *,
    primary: Borrower | None,
    incomes: Iterable[Employment],
    prop: Property | None,
    amount_requested: Decimal | None,
    needs_property: bool,
) -> list[str]:
    """Codes of the six TRID application items missing from data already loaded (Reg Z 1026.2(a)(3)(ii)).

    For products without a subject property (consumer, business) the two property items do not apply.
    """
    missing = []
    if primary is None or not (primary.first_name.strip() and primary.last_name.strip()):
        missing.append("name")
    if not any((e.monthly_base_income or 0) + (e.monthly_other_income or 0) > 0 for e in incomes):
        missing.append("income")
    if primary is None or not primary.ssn_last4:
        missing.append("ssn")
    if needs_property:
        if prop is None or not all((prop.address_line1, prop.city, prop.state, prop.postal_code)):
            missing.append("property_address")
        if prop is None or not prop.estimated_value or prop.estimated_value <= 0:
            missing.append("estimated_value")
    if not amount_requested:
        missing.append("loan_amount")
    return missing


# FIPS state codes: the census tract's first two digits must name the property's state.
STATE_FIPS = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09", "DE": "10", "DC": "11",
    "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17", "IN": "18", "IA": "19", "KS": "20", "KY": "21",
    "LA": "22", "ME": "23", "MD": "24", "MA": "25", "MI": "26", "MN": "27", "MS": "28", "MO": "29", "MT": "30",
    "NE": "31", "NV": "32", "NH": "33", "NJ": "34", "NM": "35", "NY": "36", "NC": "37", "ND": "38", "OH": "39",
    "OK": "40", "OR": "41", "PA": "42", "RI": "44", "SC": "45", "SD": "46", "TN": "47", "TX": "48", "UT": "49",
    "VT": "50", "VA": "51", "WA": "53", "WV": "54", "WI": "55", "WY": "56", "PR": "72",
}  # fmt: skip
