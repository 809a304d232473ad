"""The loan shapes of the servicing bench seeder (bench/_servicing_seed.py): each (amount, rate) template's
schedule from ``lending.finance.amortization.build_schedule`` and its escrow, computed once, and the two temporary
tables the seeding statements (bench/_seed_sql.py) replicate them from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.daycount import add_months
from lending.finance.escrow import cushion_amount, monthly_payments
from lending.finance.money import cents

TERM = 360
RATES = (Decimal("2.875"), Decimal("3.250"), Decimal("3.750"), Decimal("4.500"), Decimal("6.125"))
AMOUNTS = tuple(Decimal(n) for n in (125_000, 180_000, 240_000, 310_000, 385_000, 460_000, 560_000, 720_000))
FEE_PERCENT = Decimal("1")
TAX_PERCENT = Decimal("1.1")  # property tax, percent of the loan amount a year (two installments)
INSURANCE_PERCENT = Decimal("0.35")  # homeowner's insurance premium, percent a year (one payment)


@dataclass(frozen=True)
class Template:
    """One (amount, rate) loan shape: the schedule every loan of this shape shares, and its history totals."""

    id: int
    principal: Decimal
    rate: Decimal
    regular_payment: Decimal
    escrow: tuple[Decimal, ...]  # 12 monthly escrow payments
    tax: Decimal
    insurance: Decimal
    deposit: Decimal
    rows: list  # amortization.ScheduleRow


def templates_for(first_payment: date) -> list[Template]:
    disbursed = add_months(first_payment, -1)  # a regular first period: no odd days
    templates: list[Template] = []
    for amount in AMOUNTS:
        for rate in RATES:
            schedule = build_schedule(
                LoanTerms(
                    principal=amount,
                    annual_rate=rate,
                    term_periods=TERM,
                    disbursement_date=disbursed,
                    first_payment_date=first_payment,
                    frequency="monthly",
                    amortization="level",
                    day_count="30/360",
                )
            )
            tax, insurance = cents(amount * TAX_PERCENT / 100), cents(amount * INSURANCE_PERCENT / 100)
            templates.append(
                Template(
                    id=len(templates),
                    principal=amount,
                    rate=rate,
                    regular_payment=schedule.regular_payment,
                    escrow=monthly_payments(tax + insurance),
                    tax=tax,
                    insurance=insurance,
                    deposit=cushion_amount(tax + insurance),
                    rows=list(schedule.rows),
                )
            )
    return templates


def load_templates(cursor, templates: list[Template], months: int) -> None:
    """Two temporary tables: the templates (with their totals after ``months`` payments) and their rows."""
    cursor.execute(
        """
        CREATE TEMPORARY TABLE bench_tpl (
            id int PRIMARY KEY, principal numeric(14,2), rate numeric(7,4), regular_payment numeric(14,2),
            fee numeric(14,2), escrow_monthly numeric(14,2), deposit numeric(14,2), tax numeric(14,2),
            insurance numeric(14,2), maturity date, principal_paid numeric(14,2), escrow_paid numeric(14,2),
            paid_through date, next_due date
        ) ON COMMIT DROP;
        CREATE TEMPORARY TABLE bench_tpl_row (
            tpl int, number int, due_date date, principal numeric(14,2), interest numeric(14,2),
            escrow numeric(14,2), payment numeric(14,2), PRIMARY KEY (tpl, number)
        ) ON COMMIT DROP;
        """
    )
    tpl_rows, row_rows = [], []
    for t in templates:
        escrow = [t.escrow[index % 12] for index in range(len(t.rows))]
        paid = t.rows[:months]
        tpl_rows.append(
            (
                t.id,
                t.principal,
                t.rate,
                t.regular_payment,
                cents(t.principal * FEE_PERCENT / 100),
                t.escrow[0],
                t.deposit,
                t.tax,
                t.insurance,
                t.rows[-1].due_date,
                sum((r.principal for r in paid), Decimal(0)),
                sum(escrow[:months], Decimal(0)),
                paid[-1].due_date if paid else add_months(t.rows[0].due_date, -1),
                t.rows[months].due_date,
            )
        )
        row_rows += [
            (t.id, r.number, r.due_date, r.principal, r.interest, escrow[i], r.payment + escrow[i])
            for i, r in enumerate(t.rows)
        ]
    cursor.executemany("INSERT INTO bench_tpl VALUES (" + ", ".join(["%s"] * 14) + ")", tpl_rows)  # noqa: S608 -- 14 placeholders
    with cursor.copy("COPY bench_tpl_row FROM STDIN") as copy:  # psycopg 3, the project's driver
        for row in row_rows:
            copy.write_row(row)
    cursor.execute("ANALYZE bench_tpl; ANALYZE bench_tpl_row")
