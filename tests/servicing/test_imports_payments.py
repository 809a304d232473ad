"""Payment file import: staging with per-line errors, commit through payment_post, re-upload posts nothing,
return lines reverse payments, and the management command."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lending.core import roles
from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import ImportBatch, ImportLine, JournalEntry, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.import_batches import ImportFileError
from servicing.services.imports import payment_import_commit, payment_import_stage
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
HEADER = "loan_number,amount,effective_date,reference,method,directive,type,return_reason\n"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def servicer():
    return user_with_role(roles.SERVICER)


@pytest.fixture
def loan():
    return boarded_loan(consumer=True)


def _stage(text, actor=None, name="lockbox.csv"):
    return payment_import_stage(file_name=name, content=text, actor=actor)


def _lines(batch):
    return {line.line_number: line for line in batch.lines.all()}


def _books_balance():
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []


def test_a_clean_file_stages_valid_lines_and_commits_each_through_payment_post(loan, servicer):
    payment = loan.installments.get(number=1).payment
    text = (
        HEADER
        + f"{loan.loan_number},{payment},2026-12-01,LB-1,,,,\n"
        + f"{loan.loan_number},50.00,2026-12-02,LB-2,check,principal_only,,\n"
    )
    batch = _stage(text, servicer)
    assert (batch.status, batch.line_count, batch.valid_count, batch.error_count) == ("staged", 2, 2, 0)
    assert LoanTransaction.objects.count() == 0  # staging posts nothing
    line = _lines(batch)[2]
    assert line.parsed["method"] == "lockbox"
    assert line.parsed["amount"] == str(payment)
    assert line.loan_id == loan.pk

    batch = payment_import_commit(batch=batch, actor=servicer)
    assert (batch.status, batch.posted_count, batch.valid_count) == ("committed", 2, 0)
    lines = _lines(batch)
    first, second = lines[2].transaction, lines[3].transaction
    assert (first.idempotency_key, first.method, first.amount, first.posted_by) == (
        "import:LB-1",
        "lockbox",
        payment,
        servicer,
    )
    assert (second.method, second.directive) == ("check", "principal_only")
    assert AuditEvent.objects.filter(verb="import.committed", target_id=str(batch.pk)).exists()
    _books_balance()


def test_every_error_of_a_line_is_reported_and_nothing_is_posted_for_it(loan):
    paid_off = boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=paid_off.pk).update(status="paid_off")
    text = HEADER + "\n".join(
        [
            "L-NOPE,abc,2026-13-01,R1,bitcoin,sideways,,",
            f"{loan.loan_number},0.00,2020-01-01,R2,,,,",
            f"{loan.loan_number},-5,2026-12-20,R3,,,,",
            f"{loan.loan_number},10.001,2026-12-01,,,,,",
            f"{paid_off.loan_number},10.00,2026-12-01,R5,,,,",
            f"{loan.loan_number},10.00,2026-12-01,R6,,,,",
            f"{loan.loan_number},11.00,2026-12-01,R6,,,,",
            f"{loan.loan_number},11.00,2026-12-01,R8,,,refund,",
            f"{loan.loan_number},11.00,2026-12-01,R9,,,,oops",
            f"{loan.loan_number},12.00,2026-12-01,R10,,,,,extra",
        ]
    )
    batch = _stage(text)
    lines = _lines(batch)
    msg = {n: line.message for n, line in lines.items()}
    assert "loan_number: no loan L-NOPE" in msg[2]
    assert "amount: 'abc' is not an amount" in msg[2]
    assert "effective_date: '2026-13-01' is not a date" in msg[2]
    assert "method: unknown 'bitcoin'" in msg[2]
    assert "directive: unknown 'sideways'" in msg[2]
    assert "amount: must be greater than zero" in msg[3]
    assert "before the loan's disbursement date" in msg[3]
    assert "amount: must be greater than zero, got -5" in msg[4]
    assert "days ahead" in msg[4]
    assert "fractions of a cent" in msg[5]
    assert "reference: required" in msg[5]
    assert "is paid off" in msg[6]
    assert lines[7].status == "valid"
    assert "R6 is repeated (first on line 7)" in msg[8]
    assert "type: unknown 'refund'" in msg[9]
    assert "return_reason: only for return lines" in msg[10]
    assert "row: 9 values for 8 columns" in msg[11]
    assert (batch.valid_count, batch.error_count) == (1, 9)
    payment_import_commit(batch=batch, actor=None)
    assert list(LoanTransaction.objects.values_list("reference", flat=True)) == ["R6"]
    assert ImportLine.objects.filter(batch=batch, status="error").count() == 9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("loan_number,amount\n", "missing column(s): effective_date, reference"),
        ("loan_number,amount,effective_date,reference,colour\nx,1,2026-12-01,r,red\n", "unknown column(s): 'colour'"),
        (HEADER, "no data rows"),
        (b"\xff\xfeloan_number", "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_refused_whole(content, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _stage(content)
    assert ImportBatch.objects.count() == 0


def test_uploading_the_same_file_again_posts_nothing_new(loan, servicer):
    text = HEADER + f"{loan.loan_number},100.00,2026-12-01,LB-1,,,,\n{loan.loan_number},25.00,2026-12-01,LB-2,,,,\n"
    payment_import_commit(batch=_stage(text), actor=servicer)
    entries = JournalEntry.objects.count()
    overlapping = text + f"{loan.loan_number},30.00,2026-12-01,LB-3,,,,\n"
    again = _stage(overlapping)
    assert [line.status for line in again.lines.all()] == ["duplicate", "duplicate", "valid"]
    assert "already posted as transaction" in again.lines.first().message
    again = payment_import_commit(batch=again, actor=servicer)
    assert (again.posted_count, again.duplicate_count) == (1, 2)
    assert LoanTransaction.objects.count() == 3
    assert JournalEntry.objects.count() == entries + 1
    # Committing the same batch twice posts nothing either.
    payment_import_commit(batch=again, actor=servicer)
    assert LoanTransaction.objects.count() == 3


def test_a_line_refused_at_commit_is_recorded_and_the_others_post(loan, servicer):
    text = HEADER + f"{loan.loan_number},100.00,2026-12-01,A,,,,\n{loan.loan_number},25.00,2026-12-01,B,,,,\n"
    batch = _stage(text)
    LoanAccount.objects.filter(pk=loan.pk).update(status="charged_off")
    other = boarded_loan(consumer=True)
    batch.lines.filter(line_number=3).update(loan=other)
    batch = payment_import_commit(batch=batch, actor=servicer)
    lines = _lines(batch)
    assert lines[2].status == "error"
    assert "charged off" in lines[2].message
    assert lines[3].status == "posted"
    assert lines[3].transaction.loan_id == other.pk
    assert (batch.error_count, batch.posted_count) == (1, 1)


def test_a_reference_used_on_another_loan_is_an_error(loan):
    other = boarded_loan(consumer=True)
    payment_import_commit(batch=_stage(HEADER + f"{other.loan_number},10.00,2026-12-01,X1,,,,\n"), actor=None)
    batch = _stage(HEADER + f"{loan.loan_number},10.00,2026-12-01,X1,,,,\n")
    assert "already used for a payment on another loan" in batch.lines.get().message


def test_return_lines_reverse_the_named_payment_once(loan, servicer):
    payment_import_commit(batch=_stage(HEADER + f"{loan.loan_number},100.00,2026-12-01,P1,,,,\n"), actor=servicer)
    returns = HEADER + f"{loan.loan_number},100.00,,P1,,,return,R01 insufficient funds\n"
    batch = payment_import_commit(batch=_stage(returns), actor=servicer)
    line = batch.lines.get()
    assert line.status == "posted"
    assert line.transaction.kind == "reversal"
    assert line.transaction.reverses.status == "reversed"
    assert line.transaction.note == "R01 insufficient funds"
    again = _stage(returns)
    assert again.lines.get().status == "duplicate"
    assert "already reversed" in again.lines.get().message
    payment_import_commit(batch=again, actor=servicer)
    assert LoanTransaction.objects.filter(kind="reversal").count() == 1
    _books_balance()


def test_a_payment_and_its_return_in_the_same_file(loan):
    text = HEADER + f"{loan.loan_number},40.00,2026-12-01,P9,,,,\n{loan.loan_number},,,P9,,,return,R02 account closed\n"
    batch = payment_import_commit(batch=_stage(text), actor=None)
    assert [line.status for line in batch.lines.all()] == ["posted", "posted"]
    assert LoanTransaction.objects.get(idempotency_key="import:P9").status == "reversed"


def test_bad_return_lines(loan):
    payment_import_commit(batch=_stage(HEADER + f"{loan.loan_number},100.00,2026-12-01,P1,,,,\n"), actor=None)
    text = HEADER + "\n".join(
        [
            f"{loan.loan_number},,,NOPE,,,return,R01",
            f"{loan.loan_number},99.00,,P1,,,return,R01",
            f"{loan.loan_number},,,P1,,,return,",
        ]
    )
    msg = {line.line_number: line.message for line in _stage(text).lines.all()}
    assert "no payment with reference NOPE" in msg[2]
    assert_amount(msg[3], "99.00 is not the returned payment's amount 100.00")
    assert "return_reason: required" in msg[4]


def test_the_command_previews_without_saving_and_commits_with_the_flag(loan, tmp_path):
    path = tmp_path / "lockbox.csv"
    path.write_text(HEADER + f"{loan.loan_number},100.00,2026-12-01,C1,,,,\nL-NOPE,1.00,2026-12-01,C2,,,,\n")
    out = StringIO()
    call_command("import_payments", str(path), stdout=out)
    text = out.getvalue()
    assert "line 3: loan_number: no loan L-NOPE" in text
    assert "1 valid, 1 with errors" in text
    assert ImportBatch.objects.count() == 0
    assert LoanTransaction.objects.count() == 0
    out = StringIO()
    call_command("import_payments", str(path), "--commit", stdout=out)
    assert "1 posted" in out.getvalue()
    assert LoanTransaction.objects.get().reference == "C1"
    path.write_text("loan_number\nx\n")
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_payments", str(path))


def test_staging_and_commit_queries_do_not_grow_per_line(loan, django_assert_max_num_queries):
    def file(n):
        return HEADER + "".join(f"{loan.loan_number},1.00,2026-12-01,Q{n}-{i},,principal_only,,\n" for i in range(n))

    with django_assert_max_num_queries(12):
        _stage(file(5))
    with django_assert_max_num_queries(12):
        _stage(file(200))


def test_a_nul_byte_in_a_field_is_an_error_on_its_line_and_stages_everywhere(loan):
    """PostgreSQL stores no NUL in text or jsonb: the row is kept with U+FFFD in its place and refused."""
    text = (
        HEADER
        + f"{loan.loan_number},50.00,2026-12-01,LB\x001,,,,\n"
        + f"{loan.loan_number},60.00,2026-12-01,LB-2,,,,\n"
    )
    batch = _stage(text, name="lock\x00box.csv")
    lines = _lines(batch)
    assert (lines[2].status, lines[2].message) == ("error", "row: holds a NUL character (shown as \ufffd)")
    assert lines[2].raw["reference"] == "LB\ufffd1"
    assert lines[3].status == "valid"
    assert batch.file_name == "lockbox.csv"
    batch = payment_import_commit(batch=batch, actor=None)
    assert (batch.posted_count, batch.error_count) == (1, 1)
