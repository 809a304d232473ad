"""Metro 2 records against the written layout, field by field (position, length, padding), for constructed loans;
the payment history profile; the trailer's counts; the checks that withhold a record. No database."""

from __future__ import annotations

import ast
import pathlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from servicing.metro2 import layout
from servicing.metro2.accounts import AgingPoint, payment_history_profile
from servicing.metro2.file import Metro2Summary, base_record, metro2_lines
from servicing.metro2.records import FieldError, record_check, record_fields, record_format, whole_dollars
from tests.servicing.metro2.facts import (
    CHARGED_OFF,
    CURRENT,
    END,
    FORBORNE,
    FURNISHER,
    LATE_30,
    LATE_90,
    MODIFIED,
    PAID_OFF,
    STAMP,
)

BLANK = " "
# Sep 2026 (position 1) back to Jun 2025 (position 16) are open months; Oct 2024-May 2025 come before the loan.
OPEN_MONTHS, BEFORE = 16, 8


def _record(facts) -> dict[str, str]:
    line, _values, errors = base_record(facts, end=END, furnisher=FURNISHER, time_stamp=STAMP)
    assert errors == []
    assert len(line) == 426
    return record_fields(layout.BASE, line)


@pytest.mark.parametrize("segment", [layout.HEADER, layout.BASE, layout.TRAILER])
def test_layouts_cover_426_positions_without_gaps(segment):
    assert layout.layout_gaps(segment) == []


def test_layout_positions_of_key_fields():
    fields = {f.name: f for f in layout.BASE}
    # (start, end) as the CRRG numbers them (1-based, inclusive)
    assert (fields["consumer_account_number"].start, fields["consumer_account_number"].end) == (43, 72)
    assert (fields["account_status"].start, fields["account_status"].end) == (124, 125)
    assert (fields["payment_history_profile"].start, fields["payment_history_profile"].end) == (127, 150)
    assert (fields["current_balance"].start, fields["current_balance"].end) == (155, 163)
    assert (fields["social_security_number"].start, fields["social_security_number"].end) == (298, 306)
    assert (fields["postal_code"].start, fields["postal_code"].end) == (416, 424)


def test_current_loan_field_by_field():
    assert _record(CURRENT) == {
        "record_descriptor_word": "0426",
        "processing_indicator": "1",
        "time_stamp": "11022026093015",
        "correction_indicator": "0",
        "identification_number": "FURN0001" + BLANK * 12,
        "cycle_identifier": BLANK * 2,
        "consumer_account_number": "L-2025-0001" + BLANK * 19,
        "portfolio_type": "M",
        "account_type": "26",
        "date_opened": "06152025",
        "credit_limit": "000000000",
        "highest_credit": "000300000",
        "terms_duration": "360",
        "terms_frequency": "M",
        "scheduled_monthly_payment": "000002249",  # 1,798.65 + 450.40 escrow = 2,249.05 -> 2,249
        "actual_payment_amount": "000002249",
        "account_status": "11",
        "payment_rating": BLANK,
        "payment_history_profile": "0" * OPEN_MONTHS + "B" * BEFORE,
        "special_comment": BLANK * 2,
        "compliance_condition_code": BLANK * 2,
        "current_balance": "000296123",  # 296,123.45: cents dropped
        "amount_past_due": "000000000",
        "original_charge_off_amount": "000000000",
        "date_of_account_information": "10312026",
        "date_of_first_delinquency": "00000000",
        "date_closed": "00000000",
        "date_of_last_payment": "10012026",
        "interest_type_indicator": "F",
        "reserved": BLANK * 17,
        "surname": "O'BRIEN-NUNEZ" + BLANK * 12,
        "first_name": "JOSE" + BLANK * 16,
        "middle_name": BLANK * 20,
        "generation_code": BLANK,
        "social_security_number": "123456789",
        "date_of_birth": "05171985",
        "telephone_number": "2175550123",
        "ecoa_code": "1",
        "consumer_information_indicator": BLANK * 2,
        "country_code": BLANK * 2,
        "address_line_1": "12 ELM STREET" + BLANK * 19,
        "address_line_2": BLANK * 32,
        "city": "SPRINGFIELD" + BLANK * 9,
        "state": "IL",
        "postal_code": "62701" + BLANK * 4,
        "address_indicator": BLANK,
        "residence_code": BLANK,
    }


def test_thirty_days_late():
    record = _record(LATE_30)
    assert record["account_status"] == "71"  # 30 days past the 10-01 due date at the close of 10-31
    assert record["amount_past_due"] == "000002249"
    assert record["date_of_first_delinquency"] == "10312026"  # due 10-01 + 30 days
    assert record["payment_history_profile"] == "0" * OPEN_MONTHS + "B" * BEFORE
    assert record["actual_payment_amount"] == "000000000"
    assert record["date_of_last_payment"] == "09012026"


def test_ninety_days_late():
    record = _record(LATE_90)
    assert record["account_status"] == "80"  # 90 at the close of 10-30, 91 at 10-31
    assert record["amount_past_due"] == "000006822"
    assert record["date_of_first_delinquency"] == "08312026"  # due 08-01 + 30 days = 10-31 - (91 - 30) days
    # Sep 30: 60 days (2); Aug 31: 30 (1); July and before: current.
    assert record["payment_history_profile"] == "210" + "0" * (OPEN_MONTHS - 3) + "B" * BEFORE


def test_forbearance_and_modification_special_comments():
    assert _record(FORBORNE)["special_comment"] == "CP"
    assert _record(FORBORNE)["account_status"] == "11"
    assert _record(MODIFIED)["special_comment"] == "CO"
    assert _record(MODIFIED)["compliance_condition_code"] == BLANK * 2


def test_charged_off():
    record = _record(CHARGED_OFF)
    assert record["account_status"] == "97"
    assert record["original_charge_off_amount"] == "000285000"  # 285,000.40
    assert record["current_balance"] == "000283500"  # 285,000.40 - 1,500.00 recovered = 283,500.40
    assert record["amount_past_due"] == "000283500"
    assert record["scheduled_monthly_payment"] == "000000000"
    assert record["date_closed"] == "09152026"
    # 200 days past due on 09-15: oldest unpaid due 02-27, + 30 days = 03-29 (= 09-15 - 170 days:
    # Aug 15 (31), Jul 15 (62), Jun 15 (92), May 15 (123), Apr 15 (153), Mar 29 (170)).
    assert record["date_of_first_delinquency"] == "03292026"
    # Sep: L; Aug 31: 1 + 182 days = 183 (6); Jul 31: 152 (5); Jun 30: 121 (4); May 31: 91 (3); Apr 30: 60 (2);
    # Mar 31: 30 (1); Feb 2026 back to Jun 2025: current; before: B.
    assert record["payment_history_profile"] == "L654321" + "0" * 9 + "B" * BEFORE
    assert record["special_comment"] == BLANK * 2


def test_charge_off_recovered_in_full_is_64():
    record = _record(replace(CHARGED_OFF, recovered=Decimal("285000.40")))
    assert record["account_status"] == "64"
    assert record["current_balance"] == "000000000"
    assert record["amount_past_due"] == "000000000"
    assert record["original_charge_off_amount"] == "000285000"


def test_paid_off_is_13_and_65_after_a_foreclosure_referral():
    record = _record(PAID_OFF)
    assert record["account_status"] == "13"
    assert record["payment_rating"] == "0"  # current the day before the payoff
    assert record["current_balance"] == "000000000"
    assert record["scheduled_monthly_payment"] == "000000000"
    assert record["date_closed"] == "10202026"
    assert record["actual_payment_amount"] == "000297001"
    assert _record(replace(PAID_OFF, foreclosure_referred=True))["account_status"] == "65"


def test_co_borrowers_make_the_ecoa_code_joint():
    consumer = replace(CURRENT.consumer, co_borrowers=1)
    assert _record(replace(CURRENT, consumer=consumer))["ecoa_code"] == "2"


def test_payment_history_profile_of_a_constructed_history():
    # Late from 2025-11-02 (1 day) to 90 at 2026-01-31, cured 2026-02-10, late again from 2026-06-02, cured 07-05.
    aging = (
        AgingPoint(date(2025, 11, 2), 1),
        AgingPoint(date(2025, 12, 1), 30),  # Dec 31: 60 -> 2; Nov 30: 29 -> 0
        AgingPoint(date(2026, 2, 10), 0),  # Jan 31: 30 + 61 = 91 -> 3
        AgingPoint(date(2026, 6, 2), 1),  # Jun 30: 29 -> 0
        AgingPoint(date(2026, 7, 5), 0),
    )
    facts = replace(CURRENT, aging=aging, history_from=date(2025, 9, 20))
    # Sep26..Feb26 (1-8): 0; Jan26: 3; Dec25: 2; Nov25: 0; Oct25: 0; Sep25: 0 (opened that month); before: B.
    assert payment_history_profile(facts, END) == "00000000" + "3" + "2" + "000" + "B" * 11


def test_a_transferred_loan_has_no_history_before_boarding():
    facts = replace(CURRENT, history_from=date(2026, 8, 3))
    assert payment_history_profile(facts, END) == "00" + "B" * 22  # Sep and Aug only


def test_amounts_are_whole_dollars_cents_dropped():
    assert whole_dollars(Decimal("1234.99")) == 1234
    assert whole_dollars(Decimal("0.99")) == 0


def test_a_number_too_wide_for_its_field_is_an_error_not_a_longer_record():
    line, errors = record_format(layout.BASE, {"current_balance": Decimal("1234567890.00")})
    assert len(line) == 426
    assert errors == [FieldError("current_balance", "does not fit in 9 digits")]


def test_record_check_reads_the_line_field_by_field():
    line, _values, _errors = base_record(CURRENT, end=END, furnisher=FURNISHER, time_stamp=STAMP)
    assert record_check(layout.BASE, line) == []
    broken = line[:154] + "00012A456" + line[163:181] + "02302026" + line[189:]  # balance, date of account info
    assert [str(e) for e in record_check(layout.BASE, broken)] == [
        "current_balance: '00012A456' is not all digits",
        "date_of_account_information: 02302026 is not a real date (MMDDYYYY)",
    ]
    assert [str(e) for e in record_check(layout.BASE, line[:425])] == ["record: is 425 characters, not 426"]
    no_dob = line[:306] + "13402026" + line[314:]  # a PII field's value is never echoed
    assert [str(e) for e in record_check(layout.BASE, no_dob)] == ["date_of_birth: is not a real date"]


def test_an_account_without_a_consumer_or_identification_is_withheld():
    _line, _values, errors = base_record(
        replace(CURRENT, consumer=None), end=END, furnisher=FURNISHER, time_stamp=STAMP
    )
    assert [str(e) for e in errors] == [
        "consumer: the loan has no borrower to report (name, address, SSN or birth date)"
    ]
    anonymous = replace(CURRENT.consumer, ssn="", date_of_birth=None)
    _line, _values, errors = base_record(
        replace(CURRENT, consumer=anonymous), end=END, furnisher=FURNISHER, time_stamp=STAMP
    )
    assert [str(e) for e in errors] == [
        "social_security_number: an SSN or a date of birth is required to identify the consumer"
    ]


def test_file_header_bases_and_trailer_counts():
    summary = Metro2Summary(end=END)
    accounts = [CURRENT, LATE_30, LATE_90, CHARGED_OFF, PAID_OFF, replace(CURRENT, loan_id=9, consumer=None)]
    lines = list(metro2_lines(accounts, end=END, furnisher=FURNISHER, created=STAMP, summary=summary))
    assert [len(line) for line in lines] == [427] * 7  # 426 + the line end; the consumer-less account withheld
    header = record_fields(layout.HEADER, lines[0].rstrip("\n"))
    assert header["record_identifier"] == "HEADER"
    assert header["activity_date"] == "10312026"
    assert header["date_created"] == "11022026"
    assert header["equifax_program_identifier"] == "EFX123    "
    assert header["reporter_telephone"] == "2175550100"
    assert record_check(layout.HEADER, lines[0].rstrip("\n")) == []
    trailer_line = lines[-1].rstrip("\n")
    assert record_check(layout.TRAILER, trailer_line) == []
    trailer = {name: value for name, value in record_fields(layout.TRAILER, trailer_line).items() if value.strip("0 ")}
    assert trailer == {
        "record_descriptor_word": "0426",
        "record_identifier": "TRAILER",
        "total_base_records": "000000005",
        "block_count": "000000007",  # header + 5 + trailer
        "status_11": "000000001",
        "status_13": "000000001",
        "status_71": "000000001",
        "status_80": "000000001",
        "status_97": "000000001",
        "ssn_all_segments": "000000005",
        "ssn_base_segments": "000000005",
        "dob_all_segments": "000000005",
        "dob_base_segments": "000000005",
        "telephone_all_segments": "000000005",
    }
    assert [(a.loan_id, a.account_number) for a in summary.withheld] == [(9, "L-2025-0001")]
    assert summary.statuses() == [
        ("11", 1, 296123),
        ("13", 1, 0),
        ("71", 1, 296123),
        ("80", 1, 296123),
        ("97", 1, 283500),
    ]
    assert summary.current_balance == 296123 * 3 + 283500
    assert summary.amount_past_due == 2249 + 6822 + 283500


def test_the_metro2_package_imports_no_django():
    package = pathlib.Path(layout.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = [
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
        ]
        assert not [name for name in imported if name.split(".")[0] == "django"], module.name


def test_the_summary_keeps_the_first_withheld_accounts_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr("servicing.metro2.file.WITHHELD_LISTED", 1)
    summary = Metro2Summary(end=END)
    bad = [replace(CURRENT, loan_id=n, account_number=f"BAD-{n}", consumer=None) for n in (1, 2, 3)]
    lines = list(metro2_lines([*bad, CURRENT], end=END, furnisher=FURNISHER, created=STAMP, summary=summary))
    assert len(lines) == 3  # header, CURRENT, trailer
    assert summary.withheld_count == 3
    assert [a.account_number for a in summary.withheld] == ["BAD-1"]
    assert not summary.is_clean


def test_terms_frequency_and_monthly_equivalent_of_a_biweekly_loan():
    biweekly = replace(CURRENT, frequency="biweekly", term_periods=780, escrow_payment=Decimal("0.00"))
    record = _record(biweekly)
    assert record["terms_duration"] == "780"
    assert record["terms_frequency"] == "B"
    assert record["scheduled_monthly_payment"] == "000003897"  # 1,798.65 x 26 / 12 = 3,897.075 -> 3,897


def test_more_than_999_payments_is_an_error_not_a_truncated_term():
    weekly = replace(CURRENT, frequency="weekly", term_periods=1560)
    _line, _values, errors = base_record(weekly, end=END, furnisher=FURNISHER, time_stamp=STAMP)
    assert [str(e) for e in errors] == ["terms_duration: more than 999 payments do not fit in 3 characters"]
