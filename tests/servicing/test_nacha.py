"""The NACHA file writer against the record layouts of the NACHA Operating Rules (Appendix Three, ACH Record
Format Specifications), on a hand-computed two-entry PPD debit file; blocking, the entry hash's rightmost 10
digits; and ``manage.py ach_file`` on the payments settling on a date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from servicing.ach_processor import nacha
from servicing.ach_processor.nacha import NachaEntry, NachaError, Originator

D = Decimal
ORIGINATOR = Originator(
    company_name="Acme Lending",
    company_id="1234567890",
    odfi_routing="011000015",
    destination_routing="021000021",
    destination_name="JPMorgan Chase",
    origin_name="Acme Lending LLC",
)
ENTRIES = [
    NachaEntry(
        transaction_code=27,  # checking debit
        routing_number="011000015",
        account_number="123456789",
        amount=D("1234.56"),
        individual_id="LN-0001",
        individual_name="Nora Quinn",
        trace_number="011000010000001",
    ),
    NachaEntry(
        transaction_code=37,  # savings debit
        routing_number="021000021",
        account_number="98765432101",
        amount=D("100.00"),
        individual_id="LN-0002",
        individual_name="José Álvarez",
        trace_number="011000010000002",
    ),
]
CREATED = datetime(2027, 1, 1, 14, 5)
EFFECTIVE = date(2027, 1, 4)

# (first position, last position, field, content) from the NACHA record layouts; positions are 1-based and
# inclusive, as the Rules print them. Hand-computed totals: entry hash 01100001 + 02100002 = 0003200003; debits
# 1,234.56 + 100.00 = 1,334.56 = 133456 cents; credits 0.
FILE_HEADER = [
    (1, 1, "record type code", "1"),
    (2, 3, "priority code", "01"),
    (4, 13, "immediate destination", " 021000021"),
    (14, 23, "immediate origin", " 011000015"),
    (24, 29, "file creation date", "270101"),
    (30, 33, "file creation time", "1405"),
    (34, 34, "file ID modifier", "A"),
    (35, 37, "record size", "094"),
    (38, 39, "blocking factor", "10"),
    (40, 40, "format code", "1"),
    (41, 63, "immediate destination name", "JPMORGAN CHASE         "),
    (64, 86, "immediate origin name", "ACME LENDING LLC       "),
    (87, 94, "reference code", "SANDBOX "),
]
BATCH_HEADER = [
    (1, 1, "record type code", "5"),
    (2, 4, "service class code (debits only)", "225"),
    (5, 20, "company name", "ACME LENDING    "),
    (21, 40, "company discretionary data", " " * 20),
    (41, 50, "company identification", "1234567890"),
    (51, 53, "standard entry class code", "PPD"),
    (54, 63, "company entry description", "LOAN PMT  "),
    (64, 69, "company descriptive date", "270104"),
    (70, 75, "effective entry date", "270104"),
    (76, 78, "settlement date (Julian, by the ACH operator)", "   "),
    (79, 79, "originator status code", "1"),
    (80, 87, "originating DFI identification", "01100001"),
    (88, 94, "batch number", "0000001"),
]
ENTRY_1 = [
    (1, 1, "record type code", "6"),
    (2, 3, "transaction code", "27"),
    (4, 11, "receiving DFI identification", "01100001"),
    (12, 12, "check digit", "5"),
    (13, 29, "DFI account number", "123456789        "),
    (30, 39, "amount", "0000123456"),
    (40, 54, "individual identification number", "LN-0001        "),
    (55, 76, "individual name", "NORA QUINN            "),
    (77, 78, "discretionary data", "  "),
    (79, 79, "addenda record indicator", "0"),
    (80, 94, "trace number", "011000010000001"),
]
ENTRY_2 = [
    (1, 1, "record type code", "6"),
    (2, 3, "transaction code", "37"),
    (4, 11, "receiving DFI identification", "02100002"),
    (12, 12, "check digit", "1"),
    (13, 29, "DFI account number", "98765432101      "),
    (30, 39, "amount", "0000010000"),
    (40, 54, "individual identification number", "LN-0002        "),
    (55, 76, "individual name", "JOSE ALVAREZ          "),
    (77, 78, "discretionary data", "  "),
    (79, 79, "addenda record indicator", "0"),
    (80, 94, "trace number", "011000010000002"),
]
BATCH_CONTROL = [
    (1, 1, "record type code", "8"),
    (2, 4, "service class code", "225"),
    (5, 10, "entry/addenda count", "000002"),
    (11, 20, "entry hash", "0003200003"),
    (21, 32, "total debit entry dollar amount", "000000133456"),
    (33, 44, "total credit entry dollar amount", "000000000000"),
    (45, 54, "company identification", "1234567890"),
    (55, 73, "message authentication code", " " * 19),
    (74, 79, "reserved", " " * 6),
    (80, 87, "originating DFI identification", "01100001"),
    (88, 94, "batch number", "0000001"),
]
FILE_CONTROL = [
    (1, 1, "record type code", "9"),
    (2, 7, "batch count", "000001"),
    (8, 13, "block count", "000001"),
    (14, 21, "entry/addenda count", "00000002"),
    (22, 31, "entry hash", "0003200003"),
    (32, 43, "total debit entry dollar amount in file", "000000133456"),
    (44, 55, "total credit entry dollar amount in file", "000000000000"),
    (56, 94, "reserved", " " * 39),
]


def _file(entries=ENTRIES, **kwargs) -> list[str]:
    text = nacha.nacha_file(
        originator=ORIGINATOR,
        entries=entries,
        effective_date=EFFECTIVE,
        created=CREATED,
        reference_code=kwargs.pop("reference_code", "SANDBOX"),
        **kwargs,
    )
    assert text.endswith("\n")
    return text.removesuffix("\n").split("\n")


def _check(record: str, layout: list[tuple[int, int, str, str]]) -> None:
    assert len(record) == 94
    covered = 0
    for first, last, field, content in layout:
        assert last - first + 1 == len(content), field  # the layout table itself is consistent
        assert record[first - 1 : last] == content, f"positions {first}-{last} ({field})"
        covered += len(content)
    assert covered == 94  # the layout covers the whole record


def test_every_record_matches_the_nacha_layout():
    records = _file()
    assert len(records) == 10  # 6 records + 4 lines of nines: one block of 10
    _check(records[0], FILE_HEADER)
    _check(records[1], BATCH_HEADER)
    _check(records[2], ENTRY_1)
    _check(records[3], ENTRY_2)
    _check(records[4], BATCH_CONTROL)
    _check(records[5], FILE_CONTROL)
    assert records[6:] == ["9" * 94] * 4


def test_blocking_factor_ten_pads_with_nines_and_counts_blocks():
    six = [ENTRIES[0]] * 6  # 1 + 1 + 6 + 1 + 1 = 10 records: exactly one block, no padding
    records = _file(six)
    assert len(records) == 10
    assert records[-1][0] == "9"
    assert records[-1][1:7] == "000001"
    assert records[-1][7:13] == "000001"
    seven = [ENTRIES[0]] * 7  # 11 records: two blocks, 9 lines of nines
    records = _file(seven)
    assert len(records) == 20
    assert records[10][7:13] == "000002"  # block count
    assert records[11:] == ["9" * 94] * 9


def test_entry_hash_keeps_the_rightmost_ten_digits():
    # 101 entries of routing 99999999x: 99,999,999 * 101 = 10,099,999,899 (11 digits) -> 0099999899.
    entry = NachaEntry(
        transaction_code=27,
        routing_number="999999999",
        account_number="1",
        amount=D("0.01"),
        individual_id="X",
        individual_name="X",
        trace_number="011000010000001",
    )
    totals = nacha.totals([entry] * 101)
    assert (totals.count, totals.entry_hash, totals.debit_cents, totals.credit_cents) == (101, 99999899, 101, 0)
    records = _file([entry] * 101)  # 1 + 1 + 101 + 1 + 1 = 105 records, padded to 110 (11 blocks)
    assert len(records) == 110
    control = records[104]  # the file control: the 105th record
    assert control[0] == "9"
    assert control[7:13] == "000011"
    assert control[21:31] == "0099999899"


def test_a_credit_makes_a_mixed_batch_and_bad_fields_are_refused():
    credit = NachaEntry(**{**ENTRIES[0].__dict__, "transaction_code": 22})
    records = _file([ENTRIES[0], credit])
    assert records[1][1:4] == "200"  # mixed debits and credits
    assert records[4][20:32] == "000000123456"
    assert records[4][32:44] == "000000123456"
    with pytest.raises(NachaError, match="routing number has 9 digits"):
        _file([NachaEntry(**{**ENTRIES[0].__dict__, "routing_number": "12345"})])
    with pytest.raises(NachaError, match="not a positive amount in cents"):
        _file([NachaEntry(**{**ENTRIES[0].__dict__, "amount": D("1.005")})])
    with pytest.raises(NachaError, match="transaction code 21"):
        _file([NachaEntry(**{**ENTRIES[0].__dict__, "transaction_code": 21})])


def test_an_empty_file_has_its_header_and_control_only():
    records = _file([])
    assert [r[0] for r in records[:2]] == ["1", "9"]
    assert records[1][1:13] == "000000000001"  # no batch, one block
    assert records[2:] == ["9" * 94] * 8


@pytest.mark.django_db
def test_the_ach_file_command_writes_the_payments_settling_on_a_date(monkeypatch, tmp_path):
    from servicing.services import ach
    from tests.servicing.factories_portal import BANK, borrower_loan, set_today

    set_today(monkeypatch, date(2026, 12, 1))
    loan = borrower_loan()
    pending = ach.ach_payment_schedule(
        loan=loan,
        amount=D("1500.00"),
        scheduled_date=date(2026, 12, 3),  # Thursday: settles Friday 2026-12-04
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key="file-1",
    )
    out = StringIO()
    call_command("ach_file", "--date", "2026-12-04", stdout=out)
    records = out.getvalue().removesuffix("\n").split("\n")
    assert len(records) == 10
    assert records[0][86:94] == "SANDBOX "  # made while the sandbox processor is in use
    entry = records[2]
    assert entry[1:3] == "27"
    assert entry[3:12] == "011000015"
    assert entry[12:29] == "000123456789     "
    assert entry[29:39] == "0000150000"
    assert entry[39:54] == loan.loan_number.ljust(15)[:15].upper()
    assert entry[79:94] == f"01100001{pending.pk:07d}"
    assert records[4][0] == "9"
    assert records[4][31:43] == "000000150000"
    # Another date has no debit to send: no file is made (an empty file is not sent to the bank).
    with pytest.raises(CommandError, match=r"^No NACHA file was made: there is no ACH debit settling 2026-12-03 that"):
        call_command("ach_file", "--date", "2026-12-03", "--output", str(tmp_path / "empty.ach"), stderr=StringIO())
    assert not (tmp_path / "empty.ach").exists()


@pytest.mark.django_db
def test_the_ach_file_command_refuses_a_bad_date_or_file_id_modifier(monkeypatch):
    from servicing.services import ach
    from tests.servicing.factories_portal import BANK, borrower_loan, set_today

    set_today(monkeypatch, date(2026, 12, 1))
    loan = borrower_loan()
    ach.ach_payment_schedule(
        loan=loan,
        amount=D("10.00"),
        scheduled_date=date(2026, 12, 3),
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key="file-b",
    )
    with pytest.raises(CommandError, match="--date: expected YYYY-MM-DD, got '2026-13-01'"):
        call_command("ach_file", "--date", "2026-13-01", stdout=StringIO())
    with pytest.raises(CommandError, match="--file-id-modifier is one letter"):
        call_command("ach_file", "--date", "2026-12-04", "--file-id-modifier", "É", stdout=StringIO())
    out = StringIO()
    call_command("ach_file", "--date", "2026-12-04", "--file-id-modifier", "b", stdout=out)
    assert out.getvalue()[33] == "B"  # File Header position 34
