"""The calculation breakdown of a finding, as people read it."""

from __future__ import annotations

from decimal import Decimal

from origination.credit.aus.figures import money

# The calculation breakdown, in reading order: (key, label, kind) with kind money, percent, months or text.
CALCULATION_ROWS = (
    ("monthly_income", "Gross monthly income", "money"),
    ("principal_and_interest", "Principal and interest (monthly)", "money"),
    ("taxes_monthly", "Property tax (annual / 12)", "money"),
    ("insurance_monthly", "Homeowner's insurance (annual / 12)", "money"),
    ("hoa_monthly", "HOA dues", "money"),
    ("housing_payment", "Housing expense / new payment", "money"),
    ("declared_liabilities", "Liabilities declared, kept after closing", "money"),
    ("bureau_monthly", "Payments on the credit reports", "money"),
    ("excluded_monthly", "Tradelines excluded by the underwriter", "money"),
    ("liabilities_monthly", "Monthly debts counted (the larger)", "money"),
    ("present_housing", "Present housing expense", "money"),
    ("total_obligations", "Total monthly obligations", "money"),
    ("front_dti", "Front-end DTI", "percent"),
    ("back_dti", "Back-end DTI", "percent"),
    ("value", "Property value used", "money"),
    ("value_basis", "Value basis", "text"),
    ("subordinate_liens", "Subordinate liens", "money"),
    ("ltv", "LTV", "percent"),
    ("cltv", "CLTV", "percent"),
    ("assets", "Assets counted (retirement at 60 %)", "money"),
    ("down_payment", "Down payment", "money"),
    ("closing_costs", "Estimated closing costs", "money"),
    ("funds_to_close", "Funds to close", "money"),
    ("reserves_available", "Assets left after closing", "money"),
    ("reserves_months", "Reserves (months of payment)", "months"),
    ("scores", "Credit scores", "text"),
    ("credit_score", "Score used (lowest)", "text"),
)


def calculation_rows(calculations: dict[str, str]) -> list[tuple[str, str]]:
    """(label, shown value) for each figure a finding stored, in reading order."""
    rows = []
    for key, label, kind in CALCULATION_ROWS:
        if key not in calculations:
            continue
        value = calculations[key]
        if kind == "money":
            value = money(Decimal(value))
        elif kind == "percent":
            value = f"{value} %"
        elif kind == "months":
            value = f"{value} months"
        rows.append((label, value))
    return rows
