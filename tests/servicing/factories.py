"""Servicing test helpers: funded applications (as rows, or through origination's real closing and funding) and
loan accounts boarded from them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from lending.core import roles
from origination.models import Application, Funding
from origination.services.closing import loan_fund
from servicing.models import LoanAccount
from servicing.services.onboarding import loan_onboard
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory, complete_application
from tests.origination.factories_compliance import CLOSING_DATE, FIRST_PAYMENT, Team, closed_application

__all__ = [
    "CLOSING_DATE",
    "FIRST_PAYMENT",
    "boarded_loan",
    "funded_application",
    "funded_through_origination",
]


def funded_application(
    *,
    product=None,
    amount: Decimal = Decimal("300000.00"),
    disbursed: Decimal | None = None,
    closing_date: date = CLOSING_DATE,
    first_payment_date: date = FIRST_PAYMENT,
    funded_on: date | None = None,
    **kwargs,
) -> Application:
    """A complete application (borrower, property with tax and insurance) written straight to funded, with its
    Funding row: what loan_fund leaves behind, without the closing package. ``disbursed`` defaults to the
    amount less the product's origination fee."""
    product = product or LoanProductFactory()
    application = complete_application(product=product, amount_requested=amount, **kwargs)
    Application.objects.filter(pk=application.pk).update(
        status="funded", closing_date=closing_date, first_payment_date=first_payment_date, funded_at=timezone.now()
    )
    application.refresh_from_db()
    if disbursed is None:
        fee = (amount * product.origination_fee_percent / 100).quantize(Decimal("0.01"))
        disbursed = amount - fee
    Funding.objects.create(
        application=application,
        loan_amount=amount,
        disbursed_amount=disbursed,
        funded_on=funded_on or closing_date,
        wire_reference="FW-TEST",
        funded_by=user_with_role(roles.CLOSER),
    )
    return application


def boarded_loan(*, consumer: bool = False, **kwargs) -> LoanAccount:
    """A loan account boarded from a funded application (a 30-year escrowed mortgage, or a 36-month consumer
    loan without escrow)."""
    if consumer:
        kwargs.setdefault("product", ConsumerProductFactory())
        kwargs.setdefault("amount", Decimal("12000.00"))
    application = funded_application(**kwargs)
    return loan_onboard(application=application, actor=user_with_role(roles.SERVICER))


def funded_through_origination(**kwargs) -> tuple[Application, Funding]:
    """An application taken through origination's real workflow, closing package and ``loan_fund``. The caller
    decides whether the on-commit ``loan_funded`` runs (``django_capture_on_commit_callbacks(execute=True)``)."""
    team = kwargs.setdefault("team", Team())
    application = closed_application(**kwargs)
    funding = loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="FW-1")
    return application, funding
