"""The written layout of the Metro 2 records this project furnishes (character format, 426-byte fixed records).

Positions are 1-based and inclusive, as the CDIA Credit Reporting Resource Guide (CRRG) numbers them. The official
CRRG is sold by the CDIA and is not available to this project; the positions here are taken from public sources:

- base segment and header: the character-format tables of moov-io/metro2 (``pkg/lib/specifications.go``, offsets
  there are 0-based), cross-checked for the base segment against Galileo's "Metro 2 Base Segment" page
  (docs.galileo-ft.com/pro/page/metro-2-base-segment, positions 1-75);
- trailer: moov-io/metro2 ``trailerRecordCharacterFormat``;
- field rules (alphanumeric fields left-justified and blank-filled, numeric fields right-justified and
  zero-filled, dates MMDDYYYY with zeros when absent, amounts in whole dollars): the teamupstart/metro_2 gem
  (``lib/metro_2/fields.rb``) and the same moov-io tables.

``kind`` is ``A`` (alphanumeric: left-justified, blank-filled) or ``N`` (numeric: right-justified, zero-filled).
``fmt`` says how the value is checked: ``text``, ``number``, ``date`` (MMDDYYYY, or zeros when optional),
``timestamp`` (MMDDYYYYHHMMSS). ``required`` fields may not be blank (alphanumeric) or all zeros (dates).
``pii`` fields (SSN, date of birth, telephone) are never echoed in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD_LENGTH = 426


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, inclusive
    length: int
    kind: str  # "A" or "N"
    fmt: str = "text"
    required: bool = False
    pii: bool = False

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    def cut(self, line: str) -> str:
        """This field's characters in a formatted record."""
        return line[self.start - 1 : self.end]


def _a(name: str, start: int, length: int, *, required: bool = False) -> Field:
    return Field(name, start, length, "A", "text", required)


def _n(name: str, start: int, length: int, *, required: bool = False, pii: bool = False) -> Field:
    return Field(name, start, length, "N", "number", required, pii)


def _date(name: str, start: int, *, required: bool = False, pii: bool = False) -> Field:
    return Field(name, start, 8, "N", "date", required, pii)


HEADER: tuple[Field, ...] = (
    _n("record_descriptor_word", 1, 4, required=True),
    _a("record_identifier", 5, 6, required=True),  # HEADER
    _a("cycle_identifier", 11, 2),
    _a("innovis_program_identifier", 13, 10),
    _a("equifax_program_identifier", 23, 10),
    _a("experian_program_identifier", 33, 5),
    _a("transunion_program_identifier", 38, 10),
    _date("activity_date", 48, required=True),
    _date("date_created", 56, required=True),
    _date("program_date", 64),
    _date("program_revision_date", 72),
    _a("reporter_name", 80, 40, required=True),
    _a("reporter_address", 120, 96, required=True),
    _n("reporter_telephone", 216, 10),
    _a("software_vendor_name", 226, 40),
    _a("software_version_number", 266, 5),
    _a("prbc_program_identifier", 271, 10),
    _a("reserved", 281, 146),
)

BASE: tuple[Field, ...] = (
    _n("record_descriptor_word", 1, 4, required=True),  # 0426
    _n("processing_indicator", 5, 1, required=True),  # 1
    Field("time_stamp", 6, 14, "N", "timestamp", required=True),
    _n("correction_indicator", 20, 1),  # 0
    _a("identification_number", 21, 20, required=True),  # the furnisher's id at the bureaus
    _a("cycle_identifier", 41, 2),
    _a("consumer_account_number", 43, 30, required=True),
    _a("portfolio_type", 73, 1, required=True),
    _a("account_type", 74, 2, required=True),
    _date("date_opened", 76, required=True),
    _n("credit_limit", 84, 9),
    _n("highest_credit", 93, 9),
    _a("terms_duration", 102, 3, required=True),
    _a("terms_frequency", 105, 1),
    _n("scheduled_monthly_payment", 106, 9),
    _n("actual_payment_amount", 115, 9),
    _a("account_status", 124, 2, required=True),
    _a("payment_rating", 126, 1),
    _a("payment_history_profile", 127, 24, required=True),
    _a("special_comment", 151, 2),
    _a("compliance_condition_code", 153, 2),
    _n("current_balance", 155, 9),
    _n("amount_past_due", 164, 9),
    _n("original_charge_off_amount", 173, 9),
    _date("date_of_account_information", 182, required=True),
    _date("date_of_first_delinquency", 190),
    _date("date_closed", 198),
    _date("date_of_last_payment", 206),
    _a("interest_type_indicator", 214, 1),
    _a("reserved", 215, 17),
    _a("surname", 232, 25, required=True),
    _a("first_name", 257, 20, required=True),
    _a("middle_name", 277, 20),
    _a("generation_code", 297, 1),
    _n("social_security_number", 298, 9, pii=True),
    _date("date_of_birth", 307, pii=True),
    _n("telephone_number", 315, 10, pii=True),
    _a("ecoa_code", 325, 1, required=True),
    _a("consumer_information_indicator", 326, 2),
    _a("country_code", 328, 2),
    _a("address_line_1", 330, 32, required=True),
    _a("address_line_2", 362, 32),
    _a("city", 394, 20, required=True),
    _a("state", 414, 2, required=True),
    _a("postal_code", 416, 9, required=True),
    _a("address_indicator", 425, 1),
    _a("residence_code", 426, 1),
)

# The trailer's totals, in file order (9 digits each from position 30, after the base record count and a blank).
TRAILER_TOTALS: tuple[str, ...] = (
    "status_df",
    "j1_segments",
    "j2_segments",
    "block_count",
    "status_da",
    "status_05",
    "status_11",
    "status_13",
    "status_61",
    "status_62",
    "status_63",
    "status_64",
    "status_65",
    "status_71",
    "status_78",
    "status_80",
    "status_82",
    "status_83",
    "status_84",
    "status_88",
    "status_89",
    "status_93",
    "status_94",
    "status_95",
    "status_96",
    "status_97",
    "ecoa_z",
    "employment_segments",  # N1
    "original_creditor_segments",  # K1
    "purchased_to_segments",  # K2
    "mortgage_information_segments",  # K3
    "specialized_payment_segments",  # K4
    "change_segments",  # L1
    "ssn_all_segments",
    "ssn_base_segments",
    "ssn_j1_segments",
    "ssn_j2_segments",
    "dob_all_segments",
    "dob_base_segments",
    "dob_j1_segments",
    "dob_j2_segments",
    "telephone_all_segments",
)
TRAILER: tuple[Field, ...] = (
    _n("record_descriptor_word", 1, 4, required=True),
    _a("record_identifier", 5, 7, required=True),  # TRAILER
    _n("total_base_records", 12, 9, required=True),
    _a("reserved_1", 21, 9),
    *(_n(name, 30 + 9 * i, 9) for i, name in enumerate(TRAILER_TOTALS)),
    _a("reserved_2", 408, 19),
)

# The account status codes whose totals the trailer carries (status_XX above).
TRAILER_STATUS_CODES = tuple(name.removeprefix("status_").upper() for name in TRAILER_TOTALS if "status_" in name)


def layout_gaps(layout: tuple[Field, ...]) -> list[str]:
    """Where a layout is not one contiguous run of fields from position 1 to 426 (empty when it is)."""
    problems = []
    position = 1
    for field in layout:
        if field.start != position:
            problems.append(f"{field.name} starts at {field.start}, expected {position}")
        position = field.end + 1
    if position != RECORD_LENGTH + 1:
        problems.append(f"the fields end at {position - 1}, expected {RECORD_LENGTH}")
    return problems
