"""The loan owns its property's address: copied at boarding (the application's subject property, or a transfer
file's property columns), and read from the loan by statements, letters, the 1098, late-fee caps and calling hours."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps

from lending.core import roles
from origination.models import Application, Property
from servicing.models import LoanAccount
from servicing.selectors.statements import statement_figures
from servicing.services.collections import CollectionsError, contact_log
from servicing.services.letter_context import letter_context, property_address
from servicing.services.onboarding import loan_onboard
from servicing.services.transfer_boarding import TransferLoan, loan_board_transfer
from servicing.services.transfer_import import boarding_import_commit, boarding_import_stage
from servicing.services.year_end import form_1098_figures
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory
from tests.servicing.factories import boarded_loan, funded_application
from tests.servicing.test_boarding_transfer import COLUMNS, ROW, transfer

pytestmark = pytest.mark.django_db
PROPERTY = {
    "property_address_line1": "12 Harbor Lane",
    "property_city": "Sausalito",
    "property_state": "ca",
    "property_postal_code": "94965-1234",
}
PROPERTY_COLUMNS = ",".join(PROPERTY)


def transfer_csv(*rows: dict, columns: str = f"{COLUMNS},{PROPERTY_COLUMNS}") -> str:
    names = columns.split(",")
    return columns + "\n" + "".join(",".join(row.get(n, {**ROW, **PROPERTY}[n]) for n in names) + "\n" for row in rows)


def _lines(batch):
    return {line.line_number: line for line in batch.lines.order_by("line_number")}


def test_a_transfer_files_property_columns_board_the_loans_property():
    batch = boarding_import_stage(file_name="t.csv", content=transfer_csv({}), actor=None)
    assert _lines(batch)[2].message == (
        "289 installments left from #72 (2026-01-01), payment 1178.93, matures 2050-01-01"
    )
    boarding_import_commit(batch=batch, actor=None)
    loan = LoanAccount.objects.get(loan_number="T-1001")
    assert (loan.property_address_line1, loan.property_city, loan.property_state, loan.property_postal_code) == (
        "12 Harbor Lane",
        "Sausalito",
        "CA",  # the file's "ca", as a state code
        "94965-1234",
    )
    assert property_address(loan) == "12 Harbor Lane, Sausalito, CA 94965-1234"
    assert letter_context(loan)["property_address"] == "12 Harbor Lane, Sausalito, CA 94965-1234"


def test_the_property_columns_are_all_or_none_with_a_known_state_and_a_zip_code():
    batch = boarding_import_stage(
        file_name="t.csv",
        content=transfer_csv(
            {"loan_number": "T-1", "property_city": "", "property_postal_code": ""},
            {"loan_number": "T-2", "property_state": "ZZ"},
            {"loan_number": "T-3", "property_postal_code": "9496"},
            {"loan_number": "T-4", **dict.fromkeys(PROPERTY, "")},
        ),
        actor=None,
    )
    lines = _lines(batch)
    assert [lines[n].status for n in range(2, 6)] == ["error", "error", "error", "valid"]
    assert lines[2].message == (
        "property_city: required with the other property columns; "
        "property_postal_code: required with the other property columns"
    )
    assert lines[3].message == "property_state: unknown state 'ZZ'; use its two-letter code (IL)"
    assert lines[4].message == "property_postal_code: '9496' is not a ZIP code (62701 or 62701-1234)"
    assert lines[5].message.endswith(
        "; no property address (statements and the 1098 show none; no state late-fee cap or calling hours)"
    )


def test_a_file_without_the_property_columns_boards_loans_without_one_and_the_preview_says_so():
    batch = boarding_import_stage(file_name="t.csv", content=transfer_csv({}, columns=COLUMNS), actor=None)
    assert _lines(batch)[2].message == (
        "289 installments left from #72 (2026-01-01), payment 1178.93, matures 2050-01-01; no property address "
        "(statements and the 1098 show none; no state late-fee cap or calling hours)"
    )
    boarding_import_commit(batch=batch, actor=None)
    loan = LoanAccount.objects.get()
    assert (loan.property_address_line1, loan.property_state) == ("", "")
    assert property_address(loan) == ""


def test_a_line_staged_before_the_property_columns_existed_boards_without_a_property():
    staged = transfer().to_json()
    for column in PROPERTY:
        del staged[column]
    loan = TransferLoan.from_json(staged)
    assert loan == transfer()
    assert (loan.property_address_line1, loan.property_state) == ("", "")


def test_a_transferred_loans_statement_and_1098_show_its_property():
    loan = loan_board_transfer(
        loan=transfer(**{k: v.upper() if k == "property_state" else v for k, v in PROPERTY.items()}), actor=None
    )
    [figures] = statement_figures(business_date=date(2025, 12, 17), loan_ids=[loan.pk])
    assert figures.property_address == "12 Harbor Lane, Sausalito, CA 94965-1234"
    [form] = form_1098_figures(year=2026, loan_ids=[loan.pk])
    assert form.property_address == "12 Harbor Lane, Sausalito, CA 94965-1234"


def test_a_transferred_loans_calls_keep_its_propertys_local_hours():
    loan = loan_board_transfer(loan=transfer(property_state="CA"), actor=None)
    collector = user_with_role("collector")
    # 8:00 a.m. in Chicago (the servicer's zone) is 6:00 a.m. in California: refused there.
    with pytest.raises(CollectionsError, match=r"it is 06:00 AM \(PST\) there"):
        contact_log(
            actor=collector, loan=loan, channel="call", outcome="no_answer", at=datetime(2026, 12, 1, 14, tzinfo=UTC)
        )
    contact_log(
        actor=collector, loan=loan, channel="call", outcome="no_answer", at=datetime(2026, 12, 1, 16, tzinfo=UTC)
    )


def test_boarding_copies_the_subject_property_and_a_later_edit_of_the_application_does_not_move_it():
    loan = boarded_loan()
    prop = loan.application.subject_property
    assert property_address(loan) == f"{prop.address_line1}, {prop.city}, IL {prop.postal_code}"
    Property.objects.filter(pk=prop.pk).update(address_line1="1 Elsewhere Rd", state="NY")
    loan.refresh_from_db()
    assert property_address(loan) == f"{prop.address_line1}, {prop.city}, IL {prop.postal_code}"


def test_an_application_without_a_subject_property_boards_a_loan_without_one():
    application = funded_application(product=ConsumerProductFactory(), amount=Decimal("12000.00"))
    Property.objects.filter(application=application).delete()
    application = Application.objects.get(pk=application.pk)  # forget the cached reverse relation
    loan = loan_onboard(application=application, actor=user_with_role(roles.SERVICER))
    loan.refresh_from_db()
    assert (loan.property_address_line1, loan.property_city, loan.property_state, loan.property_postal_code) == (
        "",
        "",
        "",
        "",
    )
    assert property_address(loan) == ""


def test_the_migration_gives_loans_boarded_before_it_their_applications_property():
    migration = importlib.import_module("servicing.migrations.0044_loan_property_address")
    originated = boarded_loan()
    transferred = loan_board_transfer(loan=transfer(), actor=None)
    LoanAccount.objects.update(property_address_line1="", property_city="", property_state="", property_postal_code="")
    migration.copy_from_applications(apps, None)
    originated.refresh_from_db()
    transferred.refresh_from_db()
    prop = originated.application.subject_property
    assert (
        originated.property_address_line1,
        originated.property_city,
        originated.property_state,
        originated.property_postal_code,
    ) == (prop.address_line1, prop.city, prop.state, prop.postal_code)
    assert (transferred.property_address_line1, transferred.property_state) == ("", "")
