"""The NACHA file writer: a bank's ACH origination file of PPD debits (consumer loan payments).

The layout is the NACHA Operating Rules' (Appendix Three, "ACH Record Format Specifications"): 94-character
records, a File Header (1), one Batch Header (5) per batch, Entry Details (6), a Batch Control (8) per batch and
a File Control (9), then lines of 94 nines up to a multiple of 10 records (blocking factor 10). Alphanumeric
fields are upper case, left-justified and space-filled; numeric fields are right-justified and zero-filled;
amounts are in cents. The entry hash is the sum of the entries' 8-digit receiving DFI identifications, keeping
its rightmost 10 digits. Pure Python: the caller passes the originator's settings and the entries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lending.finance.money import cents

RECORD_SIZE = 94
BLOCKING_FACTOR = 10
PADDING = "9" * RECORD_SIZE
# Transaction codes (Appendix Three, Entry Detail field 2).
CHECKING_CREDIT, CHECKING_DEBIT, SAVINGS_CREDIT, SAVINGS_DEBIT = 22, 27, 32, 37
DEBIT_CODES = frozenset({CHECKING_DEBIT, SAVINGS_DEBIT})
CREDIT_CODES = frozenset({CHECKING_CREDIT, SAVINGS_CREDIT})
# Service class codes (Batch Header field 2): 200 mixed, 220 credits only, 225 debits only.
MIXED, CREDITS_ONLY, DEBITS_ONLY = 200, 220, 225


class NachaError(ValueError):
    """An entry or the originator cannot be written in the NACHA format (the message says which field)."""


@dataclass(frozen=True, kw_only=True)
class Originator:
    """Who sends the file: our bank (ODFI, the file's destination) and our company as the bank knows it."""

    company_name: str  # up to 16 characters, on the borrower's bank statement
    company_id: str  # up to 10 characters (often "1" + the EIN)
    odfi_routing: str  # our bank's 9-digit routing number
    destination_routing: str  # where the file goes (usually the ODFI, or its Federal Reserve/processor)
    destination_name: str  # up to 23 characters
    origin_name: str  # up to 23 characters
    entry_description: str = "LOAN PMT"  # up to 10 characters, on the borrower's statement


@dataclass(frozen=True, kw_only=True)
class NachaEntry:
    """One PPD entry."""

    transaction_code: int
    routing_number: str  # the receiving bank's 9-digit routing number (8 digits + check digit)
    account_number: str
    amount: Decimal
    individual_id: str  # up to 15 characters: our loan number
    individual_name: str  # up to 22 characters
    trace_number: str  # 15 digits: the ODFI's 8 digits and a 7-digit sequence


def alpha(value: str, length: int) -> str:
    """An alphanumeric field: upper case ASCII (accents dropped: JOSÉ -> JOSE), left-justified, space-filled, cut
    to ``length``."""
    plain = unicodedata.normalize("NFKD", str(value).upper()).encode("ascii", "ignore").decode("ascii")
    text = "".join(c if " " <= c <= "~" else " " for c in plain)
    return text[:length].ljust(length)


def numeric(value: int | str, length: int) -> str:
    """A numeric field: right-justified, zero-filled; refused (not cut) when it does not fit."""
    text = str(value)
    if not text.isdigit() or len(text) > length:
        raise NachaError(f"{text!r} is not a number of at most {length} digits")
    return text.zfill(length)


def amount_cents(amount: Decimal) -> int:
    """Dollars and cents as a whole number of cents."""
    return int(cents(amount).scaleb(2))


def _routing(value: str, field: str) -> str:
    if len(value) != 9 or not value.isdigit():
        raise NachaError(f"{field}: a routing number has 9 digits, got {value!r}")
    return value


def _record(*fields: str) -> str:
    record = "".join(fields)
    if len(record) != RECORD_SIZE:  # a layout mistake here would corrupt the whole file
        raise AssertionError(f"record of {len(record)} characters: {record!r}")
    return record


def file_header(o: Originator, created: datetime, file_id_modifier: str, reference_code: str) -> str:
    return _record(
        "1",  # 1 record type
        "01",  # 2-3 priority code
        " " + _routing(o.destination_routing, "destination_routing"),  # 4-13 immediate destination
        " " + _routing(o.odfi_routing, "odfi_routing"),  # 14-23 immediate origin
        created.strftime("%y%m%d"),  # 24-29 file creation date
        created.strftime("%H%M"),  # 30-33 file creation time
        alpha(file_id_modifier, 1),  # 34 file ID modifier
        "094",  # 35-37 record size
        "10",  # 38-39 blocking factor
        "1",  # 40 format code
        alpha(o.destination_name, 23),  # 41-63 immediate destination name
        alpha(o.origin_name, 23),  # 64-86 immediate origin name
        alpha(reference_code, 8),  # 87-94 reference code
    )


def batch_header(o: Originator, service_class: int, effective: date, batch_number: int) -> str:
    return _record(
        "5",  # 1 record type
        numeric(service_class, 3),  # 2-4 service class code
        alpha(o.company_name, 16),  # 5-20 company name
        alpha("", 20),  # 21-40 company discretionary data
        alpha(o.company_id, 10),  # 41-50 company identification
        "PPD",  # 51-53 standard entry class code
        alpha(o.entry_description, 10),  # 54-63 company entry description
        effective.strftime("%y%m%d"),  # 64-69 company descriptive date
        effective.strftime("%y%m%d"),  # 70-75 effective entry date
        "   ",  # 76-78 settlement date (Julian): inserted by the ACH operator
        "1",  # 79 originator status code (a depository financial institution)
        _routing(o.odfi_routing, "odfi_routing")[:8],  # 80-87 originating DFI identification
        numeric(batch_number, 7),  # 88-94 batch number
    )


def entry_detail(entry: NachaEntry) -> str:
    if entry.transaction_code not in DEBIT_CODES | CREDIT_CODES:
        raise NachaError(f"transaction code {entry.transaction_code} is not a checking or savings debit or credit")
    routing = _routing(entry.routing_number, "routing_number")
    if not entry.account_number or len(entry.account_number) > 17:
        raise NachaError("an account number has 1 to 17 characters")
    if amount_cents(entry.amount) <= 0 or amount_cents(entry.amount) != entry.amount * 100:
        raise NachaError(f"amount {entry.amount} is not a positive amount in cents")
    return _record(
        "6",  # 1 record type
        numeric(entry.transaction_code, 2),  # 2-3 transaction code
        routing[:8],  # 4-11 receiving DFI identification
        routing[8],  # 12 check digit
        alpha(entry.account_number, 17),  # 13-29 DFI account number
        numeric(amount_cents(entry.amount), 10),  # 30-39 amount
        alpha(entry.individual_id, 15),  # 40-54 individual identification number
        alpha(entry.individual_name, 22),  # 55-76 individual name
        "  ",  # 77-78 discretionary data
        "0",  # 79 addenda record indicator
        numeric(entry.trace_number, 15),  # 80-94 trace number
    )


@dataclass(frozen=True)
class Totals:
    """What a control record counts: entries, the entry hash, debits and credits in cents."""

    count: int
    entry_hash: int
    debit_cents: int
    credit_cents: int


def totals(entries: list[NachaEntry]) -> Totals:
    entry_hash = sum(int(e.routing_number[:8]) for e in entries) % 10**10  # its rightmost 10 digits
    debits = sum(amount_cents(e.amount) for e in entries if e.transaction_code in DEBIT_CODES)
    credits = sum(amount_cents(e.amount) for e in entries if e.transaction_code in CREDIT_CODES)
    return Totals(len(entries), entry_hash, debits, credits)


def batch_control(o: Originator, service_class: int, t: Totals, batch_number: int) -> str:
    return _record(
        "8",  # 1 record type
        numeric(service_class, 3),  # 2-4 service class code
        numeric(t.count, 6),  # 5-10 entry/addenda count
        numeric(t.entry_hash, 10),  # 11-20 entry hash
        numeric(t.debit_cents, 12),  # 21-32 total debit entry dollar amount
        numeric(t.credit_cents, 12),  # 33-44 total credit entry dollar amount
        alpha(o.company_id, 10),  # 45-54 company identification
        alpha("", 19),  # 55-73 message authentication code
        alpha("", 6),  # 74-79 reserved
        o.odfi_routing[:8],  # 80-87 originating DFI identification
        numeric(batch_number, 7),  # 88-94 batch number
    )


def file_control(batch_count: int, block_count: int, t: Totals) -> str:
    return _record(
        "9",  # 1 record type
        numeric(batch_count, 6),  # 2-7 batch count
        numeric(block_count, 6),  # 8-13 block count
        numeric(t.count, 8),  # 14-21 entry/addenda count
        numeric(t.entry_hash, 10),  # 22-31 entry hash
        numeric(t.debit_cents, 12),  # 32-43 total debit entry dollar amount in file
        numeric(t.credit_cents, 12),  # 44-55 total credit entry dollar amount in file
        alpha("", 39),  # 56-94 reserved
    )


def service_class_of(entries: list[NachaEntry]) -> int:
    codes = {e.transaction_code for e in entries}
    if codes <= DEBIT_CODES:
        return DEBITS_ONLY
    if codes <= CREDIT_CODES:
        return CREDITS_ONLY
    return MIXED


def nacha_file(
    *,
    originator: Originator,
    entries: list[NachaEntry],
    effective_date: date,
    created: datetime,
    file_id_modifier: str = "A",
    reference_code: str = "",
) -> str:
    """The file, one batch of ``entries`` settling on ``effective_date``: records joined by newlines, padded with
    lines of nines to a multiple of 10 records. No entries: a file of header and control records only."""
    t = totals(entries)
    records = [file_header(originator, created, file_id_modifier, reference_code)]
    batches = 0
    if entries:
        service_class = service_class_of(entries)
        batches = 1
        records.append(batch_header(originator, service_class, effective_date, 1))
        records += [entry_detail(e) for e in entries]
        records.append(batch_control(originator, service_class, t, 1))
    blocks = -(-(len(records) + 1) // BLOCKING_FACTOR)  # every record so far and the file control, in blocks
    records.append(file_control(batches, blocks, t))
    records += [PADDING] * (blocks * BLOCKING_FACTOR - len(records))
    return "\n".join(records) + "\n"
