"""The monthly Metro 2 file as a stream of records: the header, one base segment per account that passes its
checks, and the trailer with the totals the format asks for. A ``Metro2Summary`` keeps those totals while the
records stream (constant memory: only counts and the failing accounts' errors are kept).

An account whose record fails a check is withheld from the file (a furnisher must not report what it knows to be
incomplete or wrong) and listed with its errors, field by field; the trailer counts only what was written.
Associated consumers (J1/J2 segments) are not furnished: co-borrowers are reported through the primary
consumer's ECOA code 2 (joint contractual liability) only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from servicing.metro2 import layout
from servicing.metro2.accounts import (
    DELINQUENT_STATUSES,
    AccountFacts,
    base_segment_values,
    current_balance,
)
from servicing.metro2.records import FieldError, Value, record_check, record_format, whole_dollars

LINE_END = "\n"
WITHHELD_LISTED = 1000  # the accounts withheld whose errors the summary keeps; the rest are counted
CONSUMER_FIELDS = frozenset(field.name for field in layout.BASE if field.start >= 232)  # surname to residence code


@dataclass(frozen=True)
class Furnisher:
    """Who furnishes the file (settings ``LENDING_METRO2``)."""

    identification_number: str
    reporter_name: str
    reporter_address: str
    reporter_telephone: str = ""
    equifax_program_identifier: str = ""
    experian_program_identifier: str = ""
    transunion_program_identifier: str = ""
    innovis_program_identifier: str = ""
    software_vendor_name: str = "LENDING"
    software_version_number: str = "1"


@dataclass(frozen=True)
class AccountErrors:
    loan_id: int
    account_number: str
    errors: tuple[FieldError, ...]


@dataclass
class Metro2Summary:
    end: date  # the date of account information: the month end, or today for the month in progress
    base_records: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    balance_by_status: dict[str, int] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)  # the trailer's totals
    current_balance: int = 0
    amount_past_due: int = 0
    withheld: list[AccountErrors] = field(default_factory=list)

    withheld_count: int = 0

    @property
    def is_clean(self) -> bool:
        return not self.withheld_count

    def withhold(self, account: AccountErrors) -> None:
        """Count an account left out; keep its errors for the first ``WITHHELD_LISTED`` (constant memory)."""
        self.withheld_count += 1
        if len(self.withheld) < WITHHELD_LISTED:
            self.withheld.append(account)

    def statuses(self) -> list[tuple[str, int, int]]:
        """(status code, records, current balance in whole dollars) per status code in the file, by code."""
        return [(code, self.by_status[code], self.balance_by_status[code]) for code in sorted(self.by_status)]

    def count(self, values: dict[str, Value], balance: int, past_due: int) -> None:
        status = str(values["account_status"])
        self.base_records += 1
        self.by_status[status] += 1
        self.balance_by_status[status] = self.balance_by_status.get(status, 0) + balance
        self.current_balance += balance
        self.amount_past_due += past_due
        self.totals[f"status_{status.lower()}"] += 1
        if values.get("ecoa_code") == "Z":
            self.totals["ecoa_z"] += 1
        for total, name in (("ssn", "social_security_number"), ("dob", "date_of_birth")):
            if values.get(name):
                self.totals[f"{total}_all_segments"] += 1
                self.totals[f"{total}_base_segments"] += 1
        if values.get("telephone_number"):
            self.totals["telephone_all_segments"] += 1


def header_record(furnisher: Furnisher, *, end: date, created: date) -> str:
    values: dict[str, Value] = {
        "record_descriptor_word": layout.RECORD_LENGTH,
        "record_identifier": "HEADER",
        "activity_date": end,
        "date_created": created,
        "reporter_name": furnisher.reporter_name,
        "reporter_address": furnisher.reporter_address,
        "reporter_telephone": "".join(c for c in furnisher.reporter_telephone if c.isdigit()) or None,
        "equifax_program_identifier": furnisher.equifax_program_identifier,
        "experian_program_identifier": furnisher.experian_program_identifier,
        "transunion_program_identifier": furnisher.transunion_program_identifier,
        "innovis_program_identifier": furnisher.innovis_program_identifier,
        "software_vendor_name": furnisher.software_vendor_name,
        "software_version_number": furnisher.software_version_number,
    }
    return record_format(layout.HEADER, values)[0]


def trailer_record(summary: Metro2Summary) -> str:
    totals = dict(summary.totals)
    totals["block_count"] = summary.base_records + 2  # unblocked: every record is a block, header and trailer too
    values: dict[str, Value] = {
        "record_descriptor_word": layout.RECORD_LENGTH,
        "record_identifier": "TRAILER",
        "total_base_records": summary.base_records,
        **{name: totals.get(name, 0) for name in layout.TRAILER_TOTALS},
    }
    return record_format(layout.TRAILER, values)[0]


def account_rules(values: dict[str, Value]) -> list[FieldError]:
    """Checks across fields that the layout alone cannot make."""
    errors = []
    if not values.get("social_security_number") and not values.get("date_of_birth"):
        errors.append(
            FieldError("social_security_number", "an SSN or a date of birth is required to identify the consumer")
        )
    if len(str(values.get("terms_duration") or "")) > 3:
        errors.append(FieldError("terms_duration", "more than 999 payments do not fit in 3 characters"))
    if values.get("account_status") in (*DELINQUENT_STATUSES, "97", "64") and not values.get(
        "date_of_first_delinquency"
    ):
        errors.append(FieldError("date_of_first_delinquency", "is required with a delinquent or charged-off status"))
    return errors


def base_record(
    facts: AccountFacts, *, end: date, furnisher: Furnisher, time_stamp: datetime
) -> tuple[str, dict[str, Value], list[FieldError]]:
    """One account's base segment, its values and every problem found (format, layout and cross-field checks)."""
    values = base_segment_values(
        facts, end=end, identification_number=furnisher.identification_number, time_stamp=time_stamp
    )
    line, errors = record_format(layout.BASE, values)
    errors += account_rules(values)
    errors += [error for error in record_check(layout.BASE, line) if error.field not in {e.field for e in errors}]
    if facts.consumer is None:  # one error says it all: none of the consumer's fields can be filled
        errors = [e for e in errors if e.field not in CONSUMER_FIELDS]
        errors.insert(
            0, FieldError("consumer", "the loan has no borrower to report (name, address, SSN or birth date)")
        )
    return line, values, errors


def metro2_lines(
    accounts: Iterable[AccountFacts],
    *,
    end: date,
    furnisher: Furnisher,
    created: datetime,
    summary: Metro2Summary,
) -> Iterator[str]:
    """The file's records, each with its line end: header, the accounts that pass their checks, trailer. ``end``
    is the date of account information (a month end; or today, for a file of the month in progress)."""
    yield header_record(furnisher, end=end, created=created.date()) + LINE_END
    for facts in accounts:
        line, values, errors = base_record(facts, end=end, furnisher=furnisher, time_stamp=created)
        if errors:
            summary.withhold(AccountErrors(facts.loan_id, facts.account_number, tuple(errors)))
            continue
        balance = whole_dollars(current_balance(facts, str(values["account_status"])))
        past_due = values["amount_past_due"]
        summary.count(values, balance, whole_dollars(past_due) if isinstance(past_due, Decimal) else 0)
        yield line + LINE_END
    yield trailer_record(summary) + LINE_END
