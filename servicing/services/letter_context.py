"""What every borrower document of a loan shows besides its own figures: the servicer's contact details, the
borrower, the loan and the property. Templates under templates/pdf/borrower/ extend loan_document_base.html, whose
title and page footer name ``application.number``: a loan document names the loan number there instead."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from servicing.models import LoanAccount


def property_address(loan: LoanAccount) -> str:
    """The address of the property securing ``loan`` (the subject property of its application); "" for a loan
    boarded from a servicing transfer, whose file carries no property address."""
    application = loan.application
    prop = getattr(application, "subject_property", None) if application is not None else None
    if prop is None:
        return ""
    return f"{prop.address_line1}, {prop.city}, {prop.state} {prop.postal_code}"


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
