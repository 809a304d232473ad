"""The export's edits catch bad data: each test breaks one thing on a clean constructed file and expects exactly
the error that names it."""

from dataclasses import replace

import pytest

from origination.hmda.edits import lar_edits
from origination.hmda.lar import LarFile, LarRow
from origination.hmda.report import hmda_report
from origination.models import AveragePrimeOfferRate, Demographics, Property
from tests.origination.factories_hmda import LEI, denied, originated, withdrawn

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lei(settings):
    settings.LENDING_LEI = LEI


def _errors(year: int = 2026) -> list[tuple[str, str]]:
    return [(e.application, e.field) for e in hmda_report(year=year).errors]


def _with(lar: LarFile, **changes: str) -> LarFile:
    row = lar.rows[0]
    return replace(lar, rows=[LarRow(row.application_number, {**row.fields, **changes}), *lar.rows[1:]])


def _edits(lar: LarFile) -> list[tuple[str, str, str]]:
    return [(e.kind, e.application, e.field) for e in lar_edits(lar)]


@pytest.fixture
def clean_file() -> LarFile:
    originated()
    report = hmda_report(year=2026)
    assert report.errors == []
    return report.lar


def test_missing_demographics_and_date_of_birth_are_errors_per_field():
    application = denied()
    Demographics.objects.filter(borrower__application=application).delete()
    application.borrowers.update(date_of_birth=None)
    assert _errors() == [
        ("A-2026-000102", "applicant_ethnicity_1"),
        ("A-2026-000102", "applicant_race_1"),
        ("A-2026-000102", "applicant_sex"),
        ("A-2026-000102", "applicant_age"),
    ]


def test_census_tract_format_state_and_missing():
    application = withdrawn()
    Property.objects.filter(application=application).update(census_tract="1701900040")  # 10 digits
    assert _errors() == [("A-2026-000103", "census_tract")]
    Property.objects.filter(application=application).update(census_tract="18019000400")  # Indiana's code, IL property
    report = hmda_report(year=2026)
    assert [(e.field, e.message) for e in report.errors] == [
        ("census_tract", "18019000400 starts with state code 18, not 17 (IL)")
    ]
    Property.objects.filter(application=application).update(census_tract="")
    assert _errors() == [("A-2026-000103", "census_tract")]


def test_observed_sex_must_be_male_or_female_and_declined_is_not_observed():
    application = withdrawn()
    Demographics.objects.filter(borrower__application=application).update(sex_observed=True)  # sex declined (3)
    assert _errors() == [("A-2026-000103", "applicant_sex_observed")]


def test_observation_allows_only_the_aggregate_ethnicity_codes():
    application = denied()
    # Ethnicity 1 "11" (Mexican) cannot come from visual observation: only 1 or 2.
    Demographics.objects.filter(borrower__application=application).update(ethnicity=["11"], ethnicity_observed=True)
    assert _errors() == [("A-2026-000102", "applicant_ethnicity_observed")]


def test_a_denial_without_its_reasons_is_an_error():
    application = denied()
    application.decisions.all().delete()
    assert _errors() == [("A-2026-000102", "denial_reason_1")]


def test_an_originated_loan_without_an_apor_for_its_week_has_no_rate_spread():
    application = originated()
    AveragePrimeOfferRate.objects.all().delete()
    assert _errors() == [(application.number, "rate_spread")]


def test_a_two_to_four_unit_property_needs_its_unit_count():
    application = denied()
    Property.objects.filter(application=application).update(property_type="multi_family")
    assert _errors() == [("A-2026-000102", "total_units")]


def test_bad_uli_check_digits(clean_file):
    bad_uli = clean_file.rows[0].fields["uli"][:-2] + "44"  # the right digits are 43
    assert _edits(_with(clean_file, uli=bad_uli)) == [("validity", "A-2026-000101", "uli")]


def test_dates_outside_the_year_or_before_the_application(clean_file):
    assert _edits(_with(clean_file, action_taken_date="20270102")) == [
        ("validity", "A-2026-000101", "action_taken_date")
    ]
    assert _edits(_with(clean_file, action_taken_date="20260230")) == [
        ("validity", "A-2026-000101", "action_taken_date")
    ]  # no 30 February
    assert _edits(_with(clean_file, action_taken_date="20260301")) == [
        ("validity", "A-2026-000101", "action_taken_date")
    ]  # the application date is 2026-03-02


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("loan_purpose", "3"),
        ("occupancy_type", "4"),
        ("zip_code", "6270"),
        ("state", "XX"),
        ("loan_amount", "0"),
        ("hoepa_status", "3"),
        ("interest_rate", "NA"),
        ("applicant_race_1", "7"),
        ("applicant_ethnicity_2", "2"),  # the same category twice
        ("denial_reason_1", "3"),  # an originated loan has no reasons for denial
        ("income", "165.5"),
        ("county", "17031"),
    ],
)
def test_code_sets_and_formats(clean_file, field, value):
    assert _edits(_with(clean_file, **{field: value})) == [("validity", "A-2026-000101", field)]


def test_a_pipe_in_a_value_breaks_the_field_count(clean_file):
    assert _edits(_with(clean_file, street_address="400 Oak | Avenue")) == [("syntactical", "A-2026-000101", "record")]


def test_transmittal_sheet_edits(clean_file):
    bad = replace(clean_file, transmittal={**clean_file.transmittal, "total_lines": "2", "tax_id": "123456789"})
    assert _edits(bad) == [
        ("syntactical", "transmittal sheet", "total_lines"),
        ("syntactical", "transmittal sheet", "tax_id"),
    ]


def test_a_duplicate_uli_and_a_row_lei_that_differs(clean_file):
    row = clean_file.rows[0]
    twice = replace(clean_file, rows=[row, row], transmittal={**clean_file.transmittal, "total_lines": "2"})
    assert _edits(twice) == [("syntactical", "A-2026-000101", "uli")]
    other_lei = _with(clean_file, lei="5493001KJTIIGC8Y1R12")
    assert ("syntactical", "A-2026-000101", "lei") in _edits(other_lei)


def test_a_setting_that_is_not_an_lei_is_reported_not_a_crash(settings):
    settings.LENDING_LEI = "LEI-TOO-SHORT"
    originated()
    assert [(e.kind, e.application, e.field) for e in hmda_report(year=2026).errors] == [
        ("syntactical", "transmittal sheet", "lei"),
        ("validity", "A-2026-000101", "uli"),
    ]


def test_an_empty_year_is_a_clean_file_of_one_line():
    report = hmda_report(year=2025)
    assert report.errors == []
    assert report.lar.text().count("\n") == 1
    assert report.lar.text().startswith("1|Lending Mortgage Company|2025|4|")
