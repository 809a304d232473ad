"""The HMDA LAR rows, field by field, for three constructed 2026 applications (originated, denied, withdrawn),
the transmittal sheet, which applications a year covers, and the action taken from the workflow."""

from datetime import date
from decimal import Decimal

import pytest

from origination.hmda import spec
from origination.hmda.lar import action_taken, age_on
from origination.hmda.report import hmda_report
from origination.models import Application
from tests.origination.factories import ApplicationFactory, ConsumerProductFactory
from tests.origination.factories_hmda import LEI, at, denied, finish, originated, withdrawn

pytestmark = pytest.mark.django_db

EXEMPT_CREDIT = ["1111", "1111", "1111", "", "1111", ""]  # 62-67: scores and models exempt, free text blank
EXEMPT_COSTS = ["Exempt"] * 5  # 73-77
AUS_EXEMPT = ["1111", "", "", "", "", "", "1111", "", "", "", "", ""]  # 96-107
NO_CO_APPLICANT_ETHNICITY = ["5", "", "", "", "", ""]  # 25-30
NO_CO_APPLICANT_RACE = ["8", "", "", "", "", "", "", ""]  # 41-48

ORIGINATED_ROW = [
    "2", LEI, f"{LEI}A202600010143", "20260302",  # 1-4: ULI check digits 43 (Appendix C on ...A2026000101)
    "1", "1", "2", "1", "1", "300000",  # 5-10: conventional, purchase, no preapproval, site-built, principal
    "1", "20260417",  # 11-12: originated on the closing date
    "400 Oak Avenue", "Springfield", "IL", "62704", "17167", "17167000100",  # 13-18
    "2", "", "", "", "", "",  # 19-24 applicant: not Hispanic or Latino
    "3", "", "", "", "", "",  # 25-30 co-applicant: declined (information not provided)
    "2", "2",  # 31-32: neither by visual observation
    "5", "", "", "", "", "", "", "",  # 33-40 applicant: White
    "2", "22", "", "", "", "", "", "",  # 41-48 co-applicant: Asian, Chinese
    "2", "2",  # 49-50
    "2", "1", "2", "1",  # 51-54: female; male, the co-applicant's sex by visual observation
    "40", "38",  # 55-56: 1985-05-17 and 1987-09-30 on 2026-03-02
    "165",  # 57: (9,000 + 4,500 + 250) x 12 = 165,000 -> 165 thousand
    "0", "0.462", "2", "1",  # 58-61: kept; APR 6.662 - APOR 6.200 (week of 2026-02-23, 30y); not high-cost
    *EXEMPT_CREDIT,
    "10", "", "", "", "",  # 68-72: not denied
    *EXEMPT_COSTS,
    "6.5", "NA", "Exempt", "Exempt", "360", "NA",  # 78-83: CD rate, no penalty, ratios exempt, 360 months
    "2", "2", "2", "2",  # 84-87: no balloon, interest-only, negative or other non-amortizing features
    "380000", "3", "5", "1", "NA",  # 88-92: appraised value; site-built -> 3 and 5; 1 unit
    "1", "1", "Exempt",  # 93-95
    *AUS_EXEMPT,
    "2", "2", "2",  # 108-110
]  # fmt: skip

DENIED_ROW = [
    "2", LEI, f"{LEI}A202600010240", "20260504",  # ULI check digits 40
    "1", "31", "2", "1", "1", "250000",  # refinance
    "3", "20260610",  # denied on the day of the denial
    "12 Elm Street", "Chicago", "IL", "60614-1234", "17031", "17031071500",
    "1", "11", "", "", "", "",  # Hispanic or Latino, Mexican
    *NO_CO_APPLICANT_ETHNICITY,
    "2", "4",
    "3", "", "", "", "", "", "", "",  # Black or African American
    *NO_CO_APPLICANT_RACE,
    "2", "4",
    "1", "5", "2", "4",
    "56", "9999",  # 1970-01-15 on 2026-05-04
    "60",  # 5,000 x 12 = 60,000
    "0", "NA", "3", "1",  # no rate spread and HOEPA not applicable for a denial
    *EXEMPT_CREDIT,
    "1", "3", "9", "", "Flood zone without flood insurance",  # excessive obligations, delinquencies, other
    *EXEMPT_COSTS,
    "NA", "NA", "Exempt", "Exempt", "360", "NA",
    "2", "2", "2", "2",
    "320000", "3", "5", "1", "NA",  # the estimated value the decision relied on
    "1", "1", "Exempt",
    *AUS_EXEMPT,
    "2", "2", "2",
]  # fmt: skip

WITHDRAWN_ROW = [
    "2", LEI, f"{LEI}A202600010337", "20260803",  # ULI check digits 37
    "1", "32", "2", "2", "2", "150000",  # cash-out refinance, manufactured home, second home
    "4", "20260820",  # withdrawn in processing (before any decision)
    "7 Prairie Lane", "Champaign", "IL", "61820", "17019", "17019000400",
    "3", "", "", "", "", "",  # declined
    *NO_CO_APPLICANT_ETHNICITY,
    "2", "4",
    "6", "", "", "", "", "", "", "",  # declined
    *NO_CO_APPLICANT_RACE,
    "2", "4",
    "3", "5", "2", "4",  # declined
    "36", "9999",  # 1990-08-03 on its 36th birthday, 2026-08-03
    "75",  # 6,250 x 12 = 75,000
    "0", "NA", "3", "1",
    *EXEMPT_CREDIT,
    "10", "", "", "", "",
    *EXEMPT_COSTS,
    "NA", "NA", "Exempt", "Exempt", "360", "NA",
    "2", "2", "2", "2",
    "NA", "1111", "1111", "1", "NA",  # no value relied on; manufactured home fields exempt
    "1", "1", "Exempt",
    *AUS_EXEMPT,
    "2", "2", "2",
]  # fmt: skip

TRANSMITTAL = (
    f"1|Lending Mortgage Company|2026|4|Compliance Officer|217-555-0100|compliance@lending.test|100 Main Street|"
    f"Springfield|IL|62701|9|3|12-3456789|{LEI}"
)


@pytest.fixture(autouse=True)
def _lei(settings):
    settings.LENDING_LEI = LEI


@pytest.mark.parametrize(
    ("build", "expected"), [(originated, ORIGINATED_ROW), (denied, DENIED_ROW), (withdrawn, WITHDRAWN_ROW)]
)
def test_row_field_by_field(build, expected):
    application = build()
    report = hmda_report(year=2026)
    assert len(expected) == 110
    [row] = report.lar.rows
    assert row.application_number == application.number
    actual = [row.fields[name] for name in spec.LAR_FIELDS]
    mismatches = [
        (n, name, got, want)
        for n, (name, got, want) in enumerate(zip(spec.LAR_FIELDS, actual, expected, strict=True), start=1)
        if got != want
    ]
    assert mismatches == []
    assert row.line() == "|".join(expected)
    assert report.errors == []


def test_the_file_is_the_transmittal_sheet_then_a_row_per_application_by_number():
    withdrawn()
    originated()
    denied()
    text = hmda_report(year=2026).lar.text()
    assert (
        text == "\n".join([TRANSMITTAL, "|".join(ORIGINATED_ROW), "|".join(DENIED_ROW), "|".join(WITHDRAWN_ROW)]) + "\n"
    )


def test_the_year_covers_only_submitted_mortgage_applications_with_their_final_action_in_it():
    originated()  # 2026
    later = ApplicationFactory(number="A-2027-000001", submitted_at=at(date(2026, 12, 20)))
    finish(later, status="denied", from_status="underwriting", on=date(2027, 1, 4))  # 2027's file
    never_submitted = ApplicationFactory(number="A-2026-000900")
    finish(never_submitted, status="withdrawn", from_status="draft", on=date(2026, 5, 1))  # not an application
    consumer = ApplicationFactory(
        number="C-2026-000001", product=ConsumerProductFactory(), submitted_at=at(date(2026, 2, 1))
    )
    finish(consumer, status="denied", from_status="underwriting", on=date(2026, 3, 1))  # not a mortgage
    ApplicationFactory(number="A-2026-000950", submitted_at=at(date(2026, 6, 1)))  # still pending: no action yet
    assert [row.application_number for row in hmda_report(year=2026).lar.rows] == ["A-2026-000101"]
    assert [row.application_number for row in hmda_report(year=2027).lar.rows] == ["A-2027-000001"]


@pytest.mark.parametrize(
    ("status", "from_status", "code"),
    [
        ("withdrawn", "approved", "2"),  # approved but not accepted
        ("withdrawn", "clear_to_close", "2"),
        ("withdrawn", "closing", "2"),
        ("withdrawn", "suspended", "5"),  # suspended for the applicant's information: closed for incompleteness
        ("withdrawn", "conditionally_approved", "4"),
        ("withdrawn", "submitted", "4"),
        ("denied", "suspended", "3"),
    ],
)
def test_action_taken_from_the_status_it_left(status, from_status, code):
    application = ApplicationFactory(submitted_at=at(date(2026, 1, 5)))
    finish(application, status=status, from_status=from_status, on=date(2026, 2, 9))
    loaded = Application.objects.prefetch_related("transitions").get(pk=application.pk)
    loaded.final_transitions = list(loaded.transitions.all())
    assert action_taken(loaded) == (code, date(2026, 2, 9))


def test_a_withdrawal_late_in_the_evening_is_dated_in_the_lenders_time_zone():
    application = ApplicationFactory(submitted_at=at(date(2026, 1, 5)))
    finish(application, status="withdrawn", from_status="processing", on=date(2026, 12, 31))
    application.transitions.update(created_at=at(date(2026, 12, 31), hour=23))  # 04:00 UTC on 2027-01-01
    application.final_transitions = list(application.transitions.all())
    assert action_taken(application) == ("4", date(2026, 12, 31))


def test_age_counts_whole_years_up_to_the_birthday():
    assert age_on(date(1990, 8, 3), date(2026, 8, 2)) == "35"
    assert age_on(date(1990, 8, 3), date(2026, 8, 3)) == "36"
    assert age_on(None, date(2026, 8, 3)) == ""


def test_rate_spread_rounds_half_up_to_three_places():
    application = originated()
    application.disclosures.update(apr=Decimal("6.66250"))  # 6.6625 - 6.2 = 0.4625 -> 0.463
    [row] = hmda_report(year=2026).lar.rows
    assert row.fields["rate_spread"] == "0.463"


def test_the_year_is_read_in_a_fixed_number_of_queries(django_assert_num_queries):
    # One query for the applications, six prefetches (borrowers, their jobs, final transitions, disclosures,
    # denials, the HOEPA check) and one for the APOR row of the originated loan's rate-set week: 8, for 1 or 3 rows.
    originated()
    with django_assert_num_queries(8):
        assert len(hmda_report(year=2026).lar.rows) == 1
    denied()
    withdrawn()
    with django_assert_num_queries(8):
        assert len(hmda_report(year=2026).lar.rows) == 3
