"""Constructed Metro 2 account facts for the pure tests: one mortgage opened 2025-06-15, reported for October 2026."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from servicing.metro2.accounts import MORTGAGE, AccountFacts, AgingPoint, Consumer
from servicing.metro2.file import Furnisher

END = date(2026, 10, 31)
STAMP = datetime(2026, 11, 2, 9, 30, 15)
FURNISHER = Furnisher(
    identification_number="FURN0001",
    reporter_name="Lending Mortgage Company",
    reporter_address="100 Main Street, Springfield, IL 62701",
    reporter_telephone="217-555-0100",
    equifax_program_identifier="EFX123",
)
CONSUMER = Consumer(
    surname="O'Brien-Núñez",
    first_name="José",
    ssn="123456789",
    date_of_birth=date(1985, 5, 17),
    telephone="2175550123",
    address_line_1="12 Elm Street",
    city="Springfield",
    state="IL",
    postal_code="62701",
)
CURRENT = AccountFacts(
    loan_id=1,
    account_number="L-2025-0001",
    kind=MORTGAGE,
    date_opened=date(2025, 6, 15),
    history_from=date(2025, 6, 15),
    original_amount=Decimal("300000.00"),
    term_periods=360,
    frequency="monthly",
    regular_payment=Decimal("1798.65"),
    escrow_payment=Decimal("450.40"),
    principal_balance=Decimal("296123.45"),
    interest_due=Decimal("0.00"),
    fees_due=Decimal("0.00"),
    escrow_balance=Decimal("1200.00"),
    amount_to_bring_current=Decimal("0.00"),
    last_payment_on=date(2026, 10, 1),
    paid_in_month=Decimal("2249.05"),
    consumer=CONSUMER,
)
# Oldest unpaid due 2026-10-01: 1 day past due at the close of 10-02, 30 at the close of 10-31.
LATE_30 = replace(
    CURRENT,
    loan_id=2,
    account_number="L-2025-0002",
    aging=(AgingPoint(date(2026, 10, 2), 1), AgingPoint(date(2026, 10, 31), 30)),
    amount_to_bring_current=Decimal("2249.05"),
    last_payment_on=date(2026, 9, 1),
    paid_in_month=Decimal("0.00"),
)
# Oldest unpaid due 2026-08-01: rows as the aging wrote them; 90 at the close of 10-30, so 91 at 10-31.
LATE_90 = replace(
    LATE_30,
    loan_id=3,
    account_number="L-2025-0003",
    aging=(
        AgingPoint(date(2026, 8, 2), 1),
        AgingPoint(date(2026, 8, 31), 30),
        AgingPoint(date(2026, 9, 30), 60),
        AgingPoint(date(2026, 10, 30), 90),
    ),
    amount_to_bring_current=Decimal("6822.15"),
    last_payment_on=date(2026, 7, 1),
)
FORBORNE = replace(CURRENT, loan_id=4, account_number="L-2025-0004", in_forbearance=True)
MODIFIED = replace(CURRENT, loan_id=5, account_number="L-2025-0005", modified=True)
# Charged off 2026-09-15 at 200 days past due (1 day past due at the close of 2026-03-02); $1,500 recovered.
CHARGED_OFF = replace(
    CURRENT,
    loan_id=6,
    account_number="L-2025-0006",
    aging=(AgingPoint(date(2026, 3, 2), 1),),
    charged_off_on=date(2026, 9, 15),
    charge_off_loss=Decimal("285000.40"),
    charge_off_days_past_due=200,
    recovered=Decimal("1500.00"),
    principal_balance=Decimal("0.00"),
    escrow_balance=Decimal("0.00"),
    last_payment_on=date(2026, 10, 9),
    paid_in_month=Decimal("1500.00"),
)
PAID_OFF = replace(
    CURRENT,
    loan_id=7,
    account_number="L-2025-0007",
    paid_off_on=date(2026, 10, 20),
    principal_balance=Decimal("0.00"),
    escrow_balance=Decimal("0.00"),
    last_payment_on=date(2026, 10, 20),
    paid_in_month=Decimal("297001.12"),
)
