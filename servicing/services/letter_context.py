"""What every borrower document of a loan shows besides its own figures: the servicer's contact details, the
borrower, the loan and the property. Templates under templates/pdf/borrower/ extend loan_document_base.html, whose
title and page footer name ``application.number``: a loan document names the loan number there instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from servicing.models import LoanAccount


@dataclass(frozen=True)
class PropertyAddress:
    """The property securing a loan, as templates name its parts (``property.address_line1``...)."""

    address_line1: str
    city: str
    state: str
    postal_code: str

    def __str__(self) -> str:
        return f"{self.address_line1}, {self.city}, {self.state} {self.postal_code}"


def loan_property(loan: LoanAccount) -> PropertyAddress | None:
    """The property securing ``loan``, as boarded; None for a loan boarded without one (a transfer file without
    the property columns)."""
    if not loan.property_address_line1:
        return None
    return PropertyAddress(
        loan.property_address_line1, loan.property_city, loan.property_state, loan.property_postal_code
    )


def property_address(loan: LoanAccount) -> str:
    """The address of the property securing ``loan`` on one line; "" for a loan boarded without one."""
    prop = loan_property(loan)
    return str(prop) if prop is not None else ""


def letter_context(loan: LoanAccount, **extra: Any) -> dict[str, Any]:
    """The context every borrower document of ``loan`` renders with, plus ``extra``."""
    return {
        "application": {"number": loan.loan_number},  # the base template's title and footer
        "loan": loan,
        "borrower_name": loan.borrower_name,
        "property_address": property_address(loan),
        "creditor_name": settings.LENDING_CREDITOR_NAME,
        "creditor_address": settings.LENDING_CREDITOR_ADDRESS,
        "servicer_phone": settings.LENDING_SERVICER_PHONE,
        "contact_email": settings.LENDING_CONTACT_EMAIL,
        "site_url": settings.LENDING_SITE_URL,
        "generated_at": timezone.now(),
        **extra,
    }
