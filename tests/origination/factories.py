"""Origination factories: products, applications with borrowers, income, assets, property."""

from datetime import date
from decimal import Decimal

import factory

from origination.models import (
    Application,
    Asset,
    Borrower,
    DocumentType,
    Employment,
    Liability,
    LoanProduct,
    ProductDocument,
    Property,
)
from tests.core.factories import UserFactory


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"doc-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())


class LoanProductFactory(factory.django.DjangoModelFactory):
    """A 30-year fixed mortgage by default."""

    class Meta:
        model = LoanProduct
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name = "30-year fixed mortgage"
    kind = "mortgage"
    annual_rate = Decimal("6.5000")
    term_periods = 360
    payment_frequency = "monthly"
    amortization = "level"
    day_count = "30/360"
    allocation_strategy = "mortgage_standard"
    min_amount = Decimal("50000.00")
    max_amount = Decimal("1500000.00")
    origination_fee_percent = Decimal("1.0000")
    late_fee_percent = Decimal("5.0000")
    grace_days = 15
    escrow_required = True
    max_ltv: Decimal | None = Decimal("95.0000")
    max_cltv: Decimal | None = Decimal("95.0000")
    max_dti = Decimal("43.0000")
    min_credit_score = 620
    min_reserves_months = Decimal("2.00")


class ConsumerProductFactory(LoanProductFactory):
    name = "Personal installment loan"
    kind = "consumer"
    annual_rate = Decimal("11.9900")
    term_periods = 36
    day_count = "actual/365"
    allocation_strategy = "fees_interest_principal"
    min_amount = Decimal("1000.00")
    max_amount = Decimal("50000.00")
    escrow_required = False
    max_ltv = None
    max_cltv = None
    max_dti = Decimal("40.0000")
    min_credit_score = 640
    min_reserves_months = Decimal("0.00")


class ProductDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductDocument

    product = factory.SubFactory(LoanProductFactory)
    document_type = factory.SubFactory(DocumentTypeFactory)
    required_for_submission = True


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft application with no people yet; see `complete_application` for one ready to submit."""

    class Meta:
        model = Application

    number = factory.Sequence(lambda n: f"F-{n:06d}")
    product = factory.SubFactory(LoanProductFactory)
    applicant = factory.SubFactory(UserFactory)
    loan_officer = None
    purpose = "purchase"
    amount_requested = Decimal("300000.00")


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower

    application = factory.SubFactory(ApplicationFactory)
    is_primary = True
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Faker("email")
    date_of_birth = date(1985, 5, 17)
    ssn = "123-45-6789"
    ssn_last4 = "6789"
    address_line1 = "12 Elm Street"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"
    monthly_housing_expense = Decimal("1500.00")


class EmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employment

    borrower = factory.SubFactory(BorrowerFactory)
    employer_name = "Acme Widgets"
    position = "Engineer"
    start_date = date(2018, 3, 1)
    monthly_base_income = Decimal("9000.00")


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    application = factory.SubFactory(ApplicationFactory)
    kind = "checking"
    institution = "First Bank"
    balance = Decimal("80000.00")


class LiabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Liability

    application = factory.SubFactory(ApplicationFactory)
    kind = "auto"
    creditor = "Auto Finance Co"
    monthly_payment = Decimal("450.00")
    balance = Decimal("12000.00")


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    application = factory.SubFactory(ApplicationFactory)
    address_line1 = "400 Oak Avenue"
    city = "Springfield"
    state = "IL"
    postal_code = "62704"
    estimated_value = Decimal("375000.00")
    purchase_price = Decimal("375000.00")
    annual_property_tax = Decimal("4800.00")
    annual_insurance = Decimal("1500.00")


def complete_application(**kwargs) -> Application:
    """A draft mortgage application with all six TRID items, income, assets and a property: ready to submit."""
    application = ApplicationFactory.create(application_date=date(2026, 11, 2), **kwargs)
    borrower = BorrowerFactory(application=application)
    EmploymentFactory(borrower=borrower)
    AssetFactory(application=application)
    LiabilityFactory(application=application)
    PropertyFactory(application=application)
    return application
