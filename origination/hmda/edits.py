"""The edits the export runs before it lets a file out: the FFIEC filing instructions' syntactical edits (the
file's shape: field counts, record identifiers, one LEI, line count, unique ULIs) and the validity edits for the
fields this project fills (formats, code sets, the ULI's check digits, dates in the year, the census tract).
An empty result means the file passes; otherwise each error names its application and field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lending.finance.uli import uli_is_valid
from origination.hmda import spec
from origination.hmda.lar import LarFile

Fields = dict[str, str]

_DIGITS = re.compile(r"^\d+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_LEI = re.compile(r"^[0-9A-Z]{20}$")
_TAX_ID = re.compile(r"^\d{2}-\d{7}$")
_PHONE = re.compile(r"^\d{3}-\d{3}-\d{4}$")
TRANSMITTAL = "transmittal sheet"


@dataclass(frozen=True)
class EditError:
    kind: str  # "syntactical" or "validity"
    application: str  # the application number, or "transmittal sheet"
    field: str
    message: str


def _date(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None  # noqa: DTZ007  a calendar date
    except ValueError:
        return None


def _one_of(fields: Fields, name: str, allowed: set[str] | tuple[str, ...]) -> Iterator[tuple[str, str]]:
    if fields[name] not in allowed:
        yield name, f"{fields[name] or 'blank'} is not one of {', '.join(sorted(allowed))}"


# --- validity edits, one group of fields each ------------------------------------------------------------------


def _identifiers(fields: Fields, year: int) -> Iterator[tuple[str, str]]:
    if not uli_is_valid(fields["uli"]):
        yield "uli", f"{fields['uli']} fails the check-digit validation (Appendix C: mod 97 must be 1)"
    elif not fields["uli"].startswith(fields["lei"]):
        yield "uli", "does not begin with the LEI"
    applied = _date(fields["application_date"])
    acted = _date(fields["action_taken_date"])
    if applied is None:
        yield "application_date", f"{fields['application_date'] or 'blank'} is not a date (YYYYMMDD)"
    if acted is None or acted.year != year:
        yield "action_taken_date", f"{fields['action_taken_date'] or 'blank'} is not a date in {year}"
    elif applied is not None and applied > acted:
        yield "action_taken_date", "is before the application date"


def _loan(fields: Fields, year: int) -> Iterator[tuple[str, str]]:
    yield from _one_of(fields, "loan_type", {"1", "2", "3", "4"})
    yield from _one_of(fields, "loan_purpose", {"1", "2", "31", "32", "4", "5"})
    yield from _one_of(fields, "preapproval", {"1", "2"})
    yield from _one_of(fields, "construction_method", {"1", "2"})
    yield from _one_of(fields, "occupancy_type", {"1", "2", "3"})
    yield from _one_of(fields, "action_taken", spec.ACTION_CODES)
    if not _NUMBER.match(fields["loan_amount"]) or Decimal(fields["loan_amount"]) <= 0:
        yield "loan_amount", f"{fields['loan_amount'] or 'blank'} is not an amount greater than 0"
    if not _DIGITS.match(fields["loan_term"]) or int(fields["loan_term"]) == 0:
        yield "loan_term", f"{fields['loan_term'] or 'blank'} is not a number of months"
    if not _DIGITS.match(fields["total_units"]) or int(fields["total_units"]) == 0:
        yield "total_units", "the number of units is not recorded (2-4 unit property)"
    if fields["income"] != spec.NA and not _DIGITS.match(fields["income"]):
        yield "income", f"{fields['income']} is not thousands of dollars"
    if fields["property_value"] != spec.NA and not _NUMBER.match(fields["property_value"]):
        yield "property_value", f"{fields['property_value'] or 'blank'} is not an amount"
    for name in ("balloon_payment", "interest_only_payments", "negative_amortization", "reverse_mortgage"):
        yield from _one_of(fields, name, {"1", "2", spec.EXEMPT_CODE})


def _location(fields: Fields, year: int) -> Iterator[tuple[str, str]]:
    state, tract = fields["state"], fields["census_tract"]
    if not fields["street_address"] or not fields["city"]:
        yield "street_address", "the property address is missing"
    if state not in spec.STATE_FIPS:
        yield "state", f"{state or 'blank'} is not a state code"
    if not _ZIP.match(fields["zip_code"]):
        yield "zip_code", f"{fields['zip_code'] or 'blank'} is not a ZIP code (12345 or 12345-6789)"
    if not re.fullmatch(r"\d{11}", tract):
        yield "census_tract", f"{tract or 'blank'} is not an 11-digit census tract"
        return
    if state in spec.STATE_FIPS and tract[:2] != spec.STATE_FIPS[state]:
        yield "census_tract", f"{tract} starts with state code {tract[:2]}, not {spec.STATE_FIPS[state]} ({state})"
    if fields["county"] != tract[:5]:
        yield "county", f"{fields['county'] or 'blank'} is not the tract's county {tract[:5]}"


def _person(fields: Fields, who: str) -> Iterator[tuple[str, str]]:
    """Ethnicity, race, sex and age of the applicant or co-applicant, with how each was collected (Appendix B)."""
    co = who == "co_applicant"
    categories = (
        ("ethnicity", spec.ETHNICITY_CODES, spec.ETHNICITY_NOT_PROVIDED, spec.ETHNICITY_NO_CO_APPLICANT, {"1", "2"}),
        ("race", spec.RACE_CODES, spec.RACE_NOT_PROVIDED, spec.RACE_NO_CO_APPLICANT, {"1", "2", "3", "4", "5"}),
    )
    absent = co and fields[f"{who}_ethnicity_1"] == spec.ETHNICITY_NO_CO_APPLICANT
    for category, codes, not_provided, none, observable in categories:
        values = [fields[f"{who}_{category}_{n}"] for n in range(1, 6)]
        observed = fields[f"{who}_{category}_observed"]
        chosen = [v for v in values if v]
        first_allowed = codes | {not_provided} | ({none} if co else set())
        if values[0] not in first_allowed:
            yield f"{who}_{category}_1", f"{values[0] or 'blank'}: {category} was not collected"
        elif values[0] in (not_provided, none) and len(chosen) > 1:
            yield f"{who}_{category}_2", f"must be blank when {category} 1 is {values[0]}"
        if any(v not in codes for v in chosen[1:]) or len(set(chosen)) != len(chosen):
            yield f"{who}_{category}_2", f"{', '.join(chosen)}: the further codes must be distinct {category} codes"
        yield from _observation(fields, who, category, values[0], observed, not_provided, none, observable, absent)
    yield from _sex_and_age(fields, who, absent)


def _observation(
    fields: Fields,
    who: str,
    category: str,
    first: str,
    observed: str,
    not_provided: str,
    none: str,
    observable: set[str],
    absent: bool,
) -> Iterator[tuple[str, str]]:
    name = f"{who}_{category}_observed"
    if absent != (first == none) or absent != (observed == spec.OBSERVATION_NO_CO_APPLICANT):
        yield name, f"{observed}: the no co-applicant codes must go together"
    elif observed not in (spec.OBSERVED, spec.NOT_OBSERVED) and not absent:
        yield name, f"{observed or 'blank'} is not 1 or 2"
    elif observed == spec.OBSERVED and first not in observable:
        yield name, f"collected by visual observation or surname, so {category} 1 must be one of {sorted(observable)}"
    elif first == not_provided and observed != spec.NOT_OBSERVED:
        yield name, f"{category} not provided must be marked as not collected by visual observation (2)"


def _sex_and_age(fields: Fields, who: str, absent: bool) -> Iterator[tuple[str, str]]:
    sex, observed, age = fields[f"{who}_sex"], fields[f"{who}_sex_observed"], fields[f"{who}_age"]
    allowed = {spec.SEX_MALE, spec.SEX_FEMALE, spec.SEX_NOT_PROVIDED, spec.SEX_BOTH}
    if absent:
        if sex != spec.SEX_NO_CO_APPLICANT or observed != spec.OBSERVATION_NO_CO_APPLICANT:
            yield f"{who}_sex", "the no co-applicant codes must go together"
        if age != spec.AGE_NO_CO_APPLICANT:
            yield f"{who}_age", f"{age} must be 9999 when there is no co-applicant"
        return
    if sex not in allowed:
        yield f"{who}_sex", f"{sex or 'blank'}: sex was not collected"
    elif observed == spec.OBSERVED and sex not in (spec.SEX_MALE, spec.SEX_FEMALE):
        yield f"{who}_sex_observed", "collected by visual observation or surname, so sex must be 1 or 2"
    elif sex in (spec.SEX_NOT_PROVIDED, spec.SEX_BOTH) and observed != spec.NOT_OBSERVED:
        yield f"{who}_sex_observed", f"sex {sex} must be marked as not collected by visual observation (2)"
    if not _DIGITS.match(age) or not 0 < int(age) < 8888:
        yield f"{who}_age", f"{age or 'blank'}: the date of birth is missing"


def _people(fields: Fields, year: int) -> Iterator[tuple[str, str]]:
    yield from _person(fields, "applicant")
    yield from _person(fields, "co_applicant")


def _pricing(fields: Fields, year: int) -> Iterator[tuple[str, str]]:
    action = fields["action_taken"]
    reported = action in (spec.ORIGINATED, spec.APPROVED_NOT_ACCEPTED, "8")
    if reported and not _NUMBER.match(fields["rate_spread"]):
        yield "rate_spread", "no rate spread: no Loan Estimate or Closing Disclosure APR, or no APOR for the week"
    if not reported and fields["rate_spread"] != spec.NA:
        yield "rate_spread", f"must be NA when the action taken is {action}"
    if action == spec.ORIGINATED:
        yield from _one_of(fields, "hoepa_status", {"1", "2"})
    else:
        yield from _one_of(fields, "hoepa_status", {"3"})
    if reported and not _NUMBER.match(fields["interest_rate"]):
        yield "interest_rate", f"{fields['interest_rate'] or 'blank'} is not a rate"


def _denial(fields: Fields, year: int) -> Iterator[tuple[str, str]]:
    reasons = [fields[f"denial_reason_{n}"] for n in range(1, 5)]
    chosen = [r for r in reasons if r]
    if fields["action_taken"] in (spec.DENIED, "7"):
        if reasons[0] not in {str(n) for n in range(1, 10)}:
            yield "denial_reason_1", "a denied application needs its reasons for denial (1 to 9)"
    elif reasons[0] not in (spec.DENIAL_NOT_APPLICABLE, spec.EXEMPT_CODE) or len(chosen) > 1:
        yield "denial_reason_1", "must be 10 (not applicable) unless the application was denied"
    if (spec.DENIAL_OTHER in chosen) != bool(fields["denial_reason_other_text"]):
        yield "denial_reason_other_text", "the text is required with reason 9 (other), and only then"


ROW_EDITS: tuple[Callable[[Fields, int], Iterator[tuple[str, str]]], ...] = (
    _identifiers,
    _loan,
    _location,
    _people,
    _pricing,
    _denial,
)


# --- syntactical edits: the file's shape ---------------------------------------------------------------------


def _transmittal_errors(lar: LarFile) -> Iterator[EditError]:
    ts = lar.transmittal

    def error(name: str, message: str) -> EditError:
        return EditError("syntactical", TRANSMITTAL, name, message)

    line = "|".join(ts[name] for name in spec.TS_FIELDS)
    if len(line.split("|")) != len(spec.TS_FIELDS) or "\n" in line:
        yield error("record", f"the transmittal sheet must have exactly {len(spec.TS_FIELDS)} fields")
    if ts["calendar_year"] != str(lar.year):
        yield error("calendar_year", f"{ts['calendar_year']} is not {lar.year}")
    if not _LEI.match(ts["lei"]):
        yield error("lei", f"{ts['lei']} is not a 20-character LEI (LENDING_LEI)")
    if ts["total_lines"] != str(len(lar.rows)):
        yield error("total_lines", f"{ts['total_lines']} but the file has {len(lar.rows)} rows")
    if not _TAX_ID.match(ts["tax_id"]):
        yield error("tax_id", f"{ts['tax_id']} is not a tax id (99-9999999)")
    if not _PHONE.match(ts["contact_phone"]):
        yield error("contact_phone", f"{ts['contact_phone']} is not a phone number (999-999-9999)")
    if ts["federal_agency"] not in spec.FEDERAL_AGENCIES:
        yield error("federal_agency", f"{ts['federal_agency']} is not an agency code")
    if ts["office_state"] not in spec.STATE_FIPS or not _ZIP.match(ts["office_zip"]):
        yield error("office_state", "the office state or ZIP code is not valid")


def _row_shape_errors(lar: LarFile) -> Iterator[EditError]:
    seen: set[str] = set()
    for row in lar.rows:
        fields = row.fields
        line = row.line()
        if len(line.split("|")) != len(spec.LAR_FIELDS) or "\n" in line:
            yield EditError("syntactical", row.application_number, "record", "a value holds | or a line break")
        if fields["lei"] != lar.transmittal["lei"]:
            yield EditError("syntactical", row.application_number, "lei", "differs from the transmittal sheet's")
        if fields["uli"] in seen:
            yield EditError("syntactical", row.application_number, "uli", f"{fields['uli']} appears twice")
        seen.add(fields["uli"])


def lar_edits(lar: LarFile) -> list[EditError]:
    """Every syntactical and validity edit failure of the file, the transmittal sheet's first, then by row."""
    errors = [*_transmittal_errors(lar), *_row_shape_errors(lar)]
    for row in lar.rows:
        for edit in ROW_EDITS:
            errors.extend(
                EditError("validity", row.application_number, name, message)
                for name, message in edit(row.fields, lar.year)
            )
    return errors
