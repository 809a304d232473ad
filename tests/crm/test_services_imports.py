"""The CSV import: per-row errors, dedupe into existing contacts, and a second upload adding no lead."""

from decimal import Decimal

import pytest

from crm.models import Contact, Lead
from crm.services.imports import leads_import
from tests.crm.factories import ContactFactory, LeadFactory, LeadSourceFactory, PartnerFactory

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,email,phone,source,campaign,partner_email,purpose,amount,consent\n"


def test_rows_import_with_their_errors_and_good_rows_are_saved(officer):
    PartnerFactory(email="amy@realty.test")
    LeadSourceFactory(code="expo", name="Home show")
    content = (
        HEADER
        + 'Ana,Lopez,ana@example.com,555-010-0101,expo,fall,amy@realty.test,purchase,"$350,000.00",yes\n'
        + "Ben,,ben@example.com,,,,,,,\n"  # no last name
        + "Cy,Ray,not-an-email,,,,,,,\n"
        + "Di,Fox,di@example.com,,nowhere,,nobody@x.test,boat,-5,maybe\n"
        + "Ed,Kim,,555 010 0104,,,,,,no\n"
    ).encode()
    report = leads_import(actor=officer, content=content)
    assert [(r.line, r.outcome) for r in report.rows] == [
        (2, "created"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "created"),
    ]
    assert report.rows[1].errors == ["name: a last_name (or name) is required."]
    assert report.rows[2].errors == ["email: 'not-an-email' is not an email address."]
    assert report.rows[3].errors == [
        "source: no active lead source 'nowhere'.",
        "partner_email: no active referral partner 'nobody@x.test'.",
        "purpose: choose one of purchase, refinance, cash_out, personal, business.",
        "consent: write yes or no.",
        "amount: '-5' must be a positive amount in dollars and cents.",
    ]
    ana = Lead.objects.select_related("contact", "source", "referral_partner").get(contact__last_name="Lopez")
    assert (ana.source.code, ana.campaign_code, ana.purpose) == ("expo", "fall", "purchase")
    assert ana.amount_requested == Decimal("350000.00")
    assert ana.referral_partner.email == "amy@realty.test"
    assert ana.contact.consent_to_contact is True
    assert ana.contact.consent_source == "import"
    ed = Lead.objects.select_related("contact", "source").get(contact__last_name="Kim")
    assert (ed.source.code, ed.contact.phone_normalized, ed.contact.consent_to_contact) == (
        "import",
        "15550100104",
        False,
    )
    assert Lead.objects.count() == 2


def test_known_people_merge_and_a_second_upload_adds_no_lead(officer):
    existing = LeadFactory(contact=ContactFactory(email="ana@example.com"), officer=officer)
    content = (HEADER + "Ana,Lopez,ANA@example.com,,,,,,,\nZoe,Park,zoe@example.com,,,,,,,\n").encode()
    first = leads_import(actor=officer, content=content)
    assert (first.rows[0].outcome, first.rows[0].lead_id) == ("merged", existing.pk)
    assert first.rows[1].outcome == "created"
    second = leads_import(actor=officer, content=content)
    assert [r.outcome for r in second.rows] == ["merged", "merged"]
    assert (Contact.objects.count(), Lead.objects.count()) == (2, 2)


def test_a_name_column_splits_into_first_and_last_names(officer):
    report = leads_import(actor=officer, content=b"name,email\nAna Maria Lopez,ana@example.com\n")
    assert report.rows[0].outcome == "created"
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Ana Maria", "Lopez")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"first,second\n1,2\n", "The header row needs last_name (or name) and email (or phone)."),
        (
            "last_name,email\nL\xf3pez,a@example.com\n".encode("latin-1"),
            "The file is not UTF-8 text: save it as CSV UTF-8.",
        ),
    ],
)
def test_a_file_without_the_columns_or_not_utf8_is_refused_whole(officer, content, error):
    report = leads_import(actor=officer, content=content)
    assert (report.file_errors, report.rows) == ([error], [])
    assert Lead.objects.count() == 0
