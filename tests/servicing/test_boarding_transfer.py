"""Servicing-transfer boarding: the remaining schedule from the UPB, the boarding entry, idempotency by loan number,
and the CSV import with per-row errors."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from lending.finance import amortization
from servicing import selectors
from servicing.models import ImportBatch, Installment, JournalEntry, LoanAccount
from servicing.services import payments
from servicing.services.payments import payment_post
from servicing.services.transfer_boarding import BoardingError, TransferLoan, loan_board_transfer, transfer_schedule
from servicing.services.transfer_import import boarding_import_commit, boarding_import_stage
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
COLUMNS = (
    "loan_number,borrower_name,borrower_email,principal,annual_rate,term_periods,payment_frequency,amortization,"
    "day_count,disbursement_date,first_payment_date,current_principal_balance,next_due_date,escrow_balance,"
    "escrow_monthly_payment,late_fee_percent,late_fee_flat,grace_days,allocation_strategy"
)
ROW = {
    "loan_number": "T-1001",
    "borrower_name": "Ada Byron",
    "borrower_email": "",
    "principal": "200000.00",
    "annual_rate": "6.000",
    "term_periods": "360",
    "payment_frequency": "monthly",
    "amortization": "level",
    "day_count": "30/360",
    "disbursement_date": "2019-12-15",
    "first_payment_date": "2020-02-01",
    "current_principal_balance": "180000.00",
    "next_due_date": "2026-01-01",
    "escrow_balance": "2400.00",
    "escrow_monthly_payment": "350.00",
    "late_fee_percent": "5",
    "late_fee_flat": "0",
    "grace_days": "15",
    "allocation_strategy": "mortgage_standard",
}


def transfer(**changes) -> TransferLoan:
    values = {**ROW, **changes}
    return TransferLoan(
        loan_number=values["loan_number"],
        borrower_name=values["borrower_name"],
        borrower_email=values["borrower_email"],
        principal=D(values["principal"]),
        annual_rate=D(values["annual_rate"]),
        term_periods=int(values["term_periods"]),
        payment_frequency=values["payment_frequency"],
        amortization=values["amortization"],
        day_count=values["day_count"],
        disbursement_date=date.fromisoformat(values["disbursement_date"]),
        first_payment_date=date.fromisoformat(values["first_payment_date"]),
        current_principal_balance=D(values["current_principal_balance"]),
        next_due_date=date.fromisoformat(values["next_due_date"]),
        escrow_balance=D(values["escrow_balance"]),
        escrow_monthly_payment=D(values["escrow_monthly_payment"]),
        late_fee_percent=D(values["late_fee_percent"]),
        late_fee_flat=D(values["late_fee_flat"]),
        grace_days=int(values["grace_days"]),
        allocation_strategy=values["allocation_strategy"],
        **{name: value for name, value in changes.items() if name.startswith("property_")},
    )


def csv_file(*rows: dict) -> str:
    names = COLUMNS.split(",")
    return COLUMNS + "\n" + "".join(",".join(row.get(n, ROW[n]) for n in names) + "\n" for row in rows)


def _books_balance():
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []


def test_the_remaining_schedule_amortizes_the_upb_over_the_periods_left_to_the_original_maturity():
    servicer = user_with_role(roles.SERVICER)
    loan = loan_board_transfer(loan=transfer(), actor=servicer)
    installments = list(loan.installments.order_by("number"))
    assert len(installments) == 360 - 71
    assert (installments[0].number, installments[0].due_date) == (72, date(2026, 1, 1))
    assert (installments[-1].number, installments[-1].due_date) == (360, date(2050, 1, 1))
    assert loan.maturity_date == date(2050, 1, 1)
    assert sum(i.principal for i in installments) == D("180000.00")
    # A regular period of interest on the UPB, and the level payment of the UPB over 289 months.
    assert installments[0].interest == D("900.00")
    assert loan.regular_payment == amortization.level_payment(D("180000.00"), D("6.000"), 289)
    assert all(i.escrow == D("350.00") and i.payment == i.principal + i.interest + i.escrow for i in installments)
    assert (loan.application, loan.interest_paid_through, loan.next_due_date) == (
        None,
        date(2025, 12, 1),
        loan.next_due_date,
    )
    assert (loan.principal, loan.principal_balance, loan.escrow_balance) == (
        D("200000.00"),
        D("180000.00"),
        D("2400.00"),
    )
    entry = JournalEntry.objects.get(loan=loan)
    assert (entry.kind, entry.effective_date) == ("boarding", date(2025, 12, 1))
    lines = sorted((line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account"))
    assert lines == sorted(
        [
            ("loans_receivable", D("180000.00"), D("0")),
            ("cash", D("0"), D("180000.00")),
            ("cash", D("2400.00"), D("0")),
            ("escrow_liability", D("0"), D("2400.00")),
        ]
    )
    assert AuditEvent.objects.filter(verb="loan.boarded_transfer", target_id=str(loan.pk)).exists()
    _books_balance()


def test_boarding_is_idempotent_by_loan_number():
    first = loan_board_transfer(loan=transfer(), actor=None)
    again = loan_board_transfer(loan=transfer(current_principal_balance="1.00"), actor=None)
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert Installment.objects.count() == 289


def test_an_originated_loan_number_is_refused():
    originated = boarded_loan(consumer=True)
    with pytest.raises(BoardingError, match="originated loan"):
        loan_board_transfer(loan=transfer(loan_number=originated.loan_number), actor=None)


def test_a_loan_not_yet_paid_keeps_its_odd_first_period_and_an_escrow_advance_posts_the_other_way():
    loan = loan_board_transfer(
        loan=transfer(next_due_date="2020-02-01", current_principal_balance="200000.00", escrow_balance="-150.00"),
        actor=None,
    )
    note = amortization.build_schedule(
        amortization.LoanTerms(
            principal=D("200000.00"),
            annual_rate=D("6"),
            term_periods=360,
            disbursement_date=date(2019, 12, 15),
            first_payment_date=date(2020, 2, 1),
        )
    )
    first = loan.installments.get(number=1)
    assert first.interest == note.rows[0].interest
    assert loan.interest_paid_through == date(2019, 12, 15)
    assert loan.escrow_balance == D("-150.00")
    _books_balance()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"next_due_date": "2026-01-15"}, "next_due_date: 2026-01-15 is not a due date"),
        ({"next_due_date": "2050-02-01"}, "next_due_date: 2050-02-01 is not a due date"),
        ({"current_principal_balance": "250000.00"}, "exceeds the note amount 200000.00: it cannot amortize"),
        ({"escrow_monthly_payment": "100.00", "payment_frequency": "biweekly"}, "monthly loans only"),
        ({"first_payment_date": "2019-12-01"}, "first_payment_date must be after disbursement_date"),
    ],
)
def test_figures_that_do_not_make_a_loan_are_refused(changes, message):
    with pytest.raises(BoardingError, match=message):
        loan_board_transfer(loan=transfer(**changes), actor=None)
    assert LoanAccount.objects.count() == 0


def test_interest_only_and_balloon_notes_continue_their_structure():
    io = transfer(amortization="interest_only", next_due_date="2021-01-01", current_principal_balance="200000.00")
    io = TransferLoan(**{**io.__dict__, "interest_only_periods": 60})
    remaining = transfer_schedule(io)
    assert remaining.paid_periods == 11
    assert remaining.rows[0].principal == 0
    assert remaining.rows[48].principal == 0
    assert remaining.rows[49].principal > 0
    balloon = TransferLoan(**{**transfer(amortization="balloon").__dict__, "balloon_after_periods": 84})
    remaining = transfer_schedule(balloon)
    assert len(remaining.rows) == 84 - 71
    assert remaining.maturity_date == date(2027, 1, 1)
    assert remaining.rows[-1].balance == 0


def test_payments_post_on_a_transferred_loan(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 1, 1))
    loan = loan_board_transfer(loan=transfer(), actor=None)
    due = loan.installments.get(number=72)
    txn = payment_post(
        loan=loan,
        amount=due.payment,
        effective_date=date(2026, 1, 1),
        method="ach",
        reference="T1",
        idempotency_key="t1",
        actor=None,
    )
    assert {line.bucket for line in txn.allocation_lines.current()} == {"interest", "principal", "escrow"}
    loan.refresh_from_db()
    assert loan.next_due_date == date(2026, 2, 1)
    assert loan.principal_balance == D("180000.00") - due.principal
    _books_balance()


def test_reversing_the_only_payment_on_a_transferred_loan_puts_interest_paid_through_back_to_the_boarding_date(
    monkeypatch,
):
    # Boarded with interest paid through 2025-12-01 (the due date before next due 2026-01-01); the payment of
    # installment 72 moves it to 2026-01-01; its reversal moves it back to 2025-12-01, not to the 2019
    # disbursement date (which would charge six years of interest again in a payoff quote).
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 1, 1))
    loan = loan_board_transfer(loan=transfer(), actor=None)
    assert loan.interest_paid_through == date(2025, 12, 1)
    due = loan.installments.get(number=72)
    txn = payment_post(
        loan=loan,
        amount=due.payment,
        effective_date=date(2026, 1, 1),
        method="ach",
        reference="T1",
        idempotency_key="t1",
        actor=None,
    )
    loan.refresh_from_db()
    assert loan.interest_paid_through == date(2026, 1, 1)
    payments.payment_reverse(transaction=txn, reason="returned", actor=None)
    loan.refresh_from_db()
    assert (loan.interest_paid_through, loan.next_due_date) == (date(2025, 12, 1), date(2026, 1, 1))
    _books_balance()


# --- the CSV import ------------------------------------------------------------------------------------------


def test_the_transfer_file_stages_with_per_row_errors_and_commits_the_valid_rows():
    borrower = user_with_role(roles.BORROWER, email="ada@example.com")
    text = csv_file(
        {"borrower_email": "ADA@example.com"},
        {"loan_number": "T-1002", "borrower_email": "nobody@example.com"},
        {
            "loan_number": "T-1003",
            "principal": "abc",
            "annual_rate": "-1",
            "payment_frequency": "daily",
            "disbursement_date": "2019-02-30",
            "grace_days": "x",
            "allocation_strategy": "",
        },
        {"loan_number": "T-1004", "next_due_date": "2026-01-02"},
        {"loan_number": "T-1001"},
    )
    batch = boarding_import_stage(file_name="transfer.csv", content=text, actor=None)
    lines = {line.line_number: line for line in batch.lines.all()}
    assert [lines[n].status for n in range(2, 7)] == ["valid", "valid", "error", "error", "error"]
    assert "289 installments left from #72" in lines[2].message
    assert "portal user linked" in lines[2].message
    assert "no portal user nobody@example.com" in lines[3].message
    bad = lines[4].message
    for part in (
        "principal: 'abc' is not an amount",
        "annual_rate: '-1'",
        "payment_frequency: unknown 'daily'",
        "disbursement_date: '2019-02-30' is not a date",
        "grace_days: 'x'",
        "allocation_strategy: required",
    ):
        assert part in bad
    assert "is not a due date" in lines[5].message
    assert "T-1001 is repeated (first on line 2)" in lines[6].message
    assert LoanAccount.objects.count() == 0

    batch = boarding_import_commit(batch=batch, actor=None)
    assert (batch.posted_count, batch.error_count) == (2, 3)
    ada = LoanAccount.objects.get(loan_number="T-1001")
    assert ada.borrower == borrower
    assert LoanAccount.objects.get(loan_number="T-1002").borrower is None
    _books_balance()

    again = boarding_import_stage(file_name="transfer.csv", content=csv_file({}), actor=None)
    assert again.lines.get().status == "duplicate"
    again = boarding_import_commit(batch=again, actor=None)
    assert again.duplicate_count == 1
    assert JournalEntry.objects.count() == 2


def test_a_boarding_row_boarded_meanwhile_shows_as_a_duplicate_at_commit():
    batch = boarding_import_stage(file_name="t.csv", content=csv_file({}), actor=None)
    loan_board_transfer(loan=transfer(), actor=None)
    batch = boarding_import_commit(batch=batch, actor=None)
    assert batch.lines.get().status == "duplicate"
    assert ImportBatch.objects.get().duplicate_count == 1
    assert JournalEntry.objects.count() == 1


def test_a_nul_byte_in_a_transfer_field_is_an_error_on_its_line():
    batch = boarding_import_stage(
        file_name="t.csv",
        content=csv_file({"borrower_email": "ada\x00@example.com"}, {"loan_number": "T-1002"}),
        actor=None,
    )
    lines = {line.line_number: line for line in batch.lines.all()}
    assert (lines[2].status, lines[2].message) == ("error", "row: holds a NUL character (shown as \ufffd)")
    assert lines[3].status == "valid"
    assert boarding_import_commit(batch=batch, actor=None).posted_count == 1


def test_a_transferred_loans_staff_page_names_its_product_without_empty_brackets(client):
    loan = loan_board_transfer(loan=transfer(), actor=None)
    client.force_login(user_with_role(roles.SERVICER))
    page = client.get(f"/staff/servicing/loans/{loan.pk}/").content.decode()
    assert '<dt class="col-sm-4">Product</dt><dd class="col-sm-8">Servicing transfer</dd>' in page


def test_a_transferred_loans_escrow_without_bills_shows_its_balance_not_no_escrow(client):
    loan = loan_board_transfer(loan=transfer(), actor=None)  # escrow balance 2,400.00, monthly 350.00, no items
    client.force_login(user_with_role(roles.SERVICER))
    page = client.get(f"/staff/servicing/loans/{loan.pk}/").content.decode()
    assert (
        '<p class="mb-0" data-testid="escrow-no-items">Balance $2,400.00 · monthly $350.00 · no escrow items '
        "recorded yet (servicers add the bills in the servicer admin).</p>"
    ) in page
    assert "No escrow on this loan." not in page


def test_the_borrower_sees_the_escrow_balance_of_a_transferred_loan_whose_bills_are_not_recorded(client):
    ada = user_with_role(roles.BORROWER, email="ada@example.com")
    loan = loan_board_transfer(loan=transfer(borrower_email="ada@example.com"), actor=None)
    client.force_login(ada)
    page = client.get(f"/portal/loans/{loan.pk}/").content.decode()
    assert (
        '<p class="mb-0" data-testid="escrow-no-bills">Balance <strong>$2,400.00</strong> · monthly deposit $350.00. '
        "The bills your escrow pays have not been recorded yet.</p>"
    ) in page
    assert "This loan has no escrow account" not in page


def test_a_transferred_loans_modification_starts_on_the_due_date_after_its_last_installment(monkeypatch):
    from servicing.services import plans
    from servicing.services.modification import modification_propose

    # T-1001: the note's first due date is Feb 1 2020 and its 360th Jan 1 2050; boarded with Jan 1 2026 next due, so
    # its installments are numbers 72 (Jan 1 2026) to 360 (Jan 1 2050). On Oct 2 2049 three are left (Nov 1, Dec 1
    # 2049, Jan 1 2050): the trial takes them and the new schedule starts on the next date of the series, Feb 1
    # 2050 (installment 361), and 120 installments end on Jan 1 2060.
    loan = loan_board_transfer(loan=transfer(), actor=None)
    monkeypatch.setattr(plans, "_today", lambda: date(2049, 10, 2))
    proposal = modification_propose(actor=user_with_role(roles.COLLECTOR), loan=loan, new_rate=D("5"), term_periods=120)
    assert (proposal.first_due_date, proposal.maturity_date) == (date(2050, 2, 1), date(2060, 1, 1))
