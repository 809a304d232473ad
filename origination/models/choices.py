"""Codes shared by products, applications and the finance core (the values lending.finance expects)."""

from django.db import models


class ProductKind(models.TextChoices):
    MORTGAGE = "mortgage", "Mortgage"
    CONSUMER = "consumer", "Consumer installment"
    BUSINESS = "business", "Small business term loan"


class DisclosureRule(models.TextChoices):
    """Which Regulation Z disclosures a product's loans get before consummation."""

    TRID = "trid", "Loan Estimate and Closing Disclosure (TRID, 1026.19(e), (f))"
    TRUTH_IN_LENDING = "truth_in_lending", "Truth in Lending disclosure (1026.18)"
    NONE = "none", "None: business-purpose credit is exempt (1026.3(a))"


# TRID covers closed-end consumer mortgages; other closed-end consumer credit gets the 1026.18 disclosure;
# business-purpose credit gets no Reg Z disclosure, only its note and agreement.
DISCLOSURE_RULES: dict[str, str] = {
    ProductKind.MORTGAGE: DisclosureRule.TRID,
    ProductKind.CONSUMER: DisclosureRule.TRUTH_IN_LENDING,
    ProductKind.BUSINESS: DisclosureRule.NONE,
}


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    SEMIMONTHLY = "semimonthly", "Semi-monthly"
    BIWEEKLY = "biweekly", "Bi-weekly"
    WEEKLY = "weekly", "Weekly"
    QUARTERLY = "quarterly", "Quarterly"


class Amortization(models.TextChoices):
    LEVEL = "level", "Level payment"
    EQUAL_PRINCIPAL = "equal_principal", "Equal principal"
    INTEREST_ONLY = "interest_only", "Interest only, then level"
    BALLOON = "balloon", "Balloon"


class DayCount(models.TextChoices):
    THIRTY_360 = "30/360", "30/360 (US)"
    ACTUAL_360 = "actual/360", "Actual/360"
    ACTUAL_365 = "actual/365", "Actual/365 (fixed)"
    ACTUAL_ACTUAL = "actual/actual", "Actual/actual (ISDA)"


class InterestMethod(models.TextChoices):
    """How interest is earned day by day (``lending.finance.accrual``)."""

    SCHEDULED = "scheduled", "Scheduled (each installment's interest, earned through its period)"
    DAILY_SIMPLE = "daily_simple", "Daily simple interest on the actual balance"


class AllocationStrategy(models.TextChoices):
    MORTGAGE_STANDARD = "mortgage_standard", "Mortgage standard (interest, principal, escrow, then fees)"
    FEES_INTEREST_PRINCIPAL = "fees_interest_principal", "Fees, interest, principal"
    INTEREST_PRINCIPAL_FEES = "interest_principal_fees", "Interest, principal, fees"


class Purpose(models.TextChoices):
    PURCHASE = "purchase", "Purchase"
    REFINANCE = "refinance", "Rate/term refinance"
    CASH_OUT = "cash_out", "Cash-out refinance"
    PERSONAL = "personal", "Personal"
    BUSINESS = "business", "Business"


class Occupancy(models.TextChoices):
    PRIMARY = "primary", "Primary residence"
    SECOND_HOME = "second_home", "Second home"
    INVESTMENT = "investment", "Investment property"


class PropertyType(models.TextChoices):
    SINGLE_FAMILY = "single_family", "Single family"
    CONDO = "condo", "Condominium"
    TOWNHOUSE = "townhouse", "Townhouse"
    MULTI_FAMILY = "multi_family", "2-4 units"
    MANUFACTURED = "manufactured", "Manufactured"
