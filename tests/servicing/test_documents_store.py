"""Storing borrower documents: hashed, versioned, never overwritten; delivery by e-consent."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.utils import timezone

from lending.core.models import AuditEvent
from origination.services.disclosures import pdf_render
from servicing.models import BorrowerDocument
from servicing.services.documents import delivery_for, document_store, pdf_pages
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db

KIND = BorrowerDocument.Kind.STATEMENT


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return pdf_render("pdf/payoff_letter.html", {})


def store(loan, pdf: bytes, **kwargs) -> BorrowerDocument:
    values = {
        "loan": loan,
        "kind": KIND,
        "key": "2027-01-01",
        "title": "Statement for the payment due January 1, 2027",
        "document_date": date(2026, 12, 17),
        "pdf": pdf,
        "actor": None,
    }
    return document_store(**(values | kwargs))


def test_a_stored_document_keeps_its_bytes_hash_pages_and_an_audit_row(pdf):
    loan = boarded_loan()
    document = store(loan, pdf)
    assert document.version == 1
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.pages == pdf_pages(pdf) >= 1
    with document.file.open("rb") as stored:
        assert stored.read() == pdf
    assert loan.loan_number not in document.file.name
    event = AuditEvent.objects.get(verb="document.stored")
    assert event.after["key"] == "2027-01-01"
    assert event.after["version"] == 1


def test_storing_the_same_document_again_returns_the_first_and_a_new_version_keeps_both(pdf):
    loan = boarded_loan()
    first = store(loan, pdf)
    assert store(loan, b"%PDF-1.4 other") == first
    second = store(loan, pdf, new_version=True)
    assert (first.version, second.version) == (1, 2)
    assert first.file.name != second.file.name
    assert BorrowerDocument.objects.filter(loan=loan).count() == 2
    assert AuditEvent.objects.filter(verb="document.stored").count() == 2


def test_delivery_is_email_only_with_a_portal_account_and_econsent():
    loan = boarded_loan()
    application = loan.application
    application.econsent_at = timezone.now()
    application.save(update_fields=["econsent_at"])
    assert loan.borrower_id is not None
    assert delivery_for(loan) == BorrowerDocument.Delivery.EMAIL
    application.econsent_at = None
    assert delivery_for(loan) == BorrowerDocument.Delivery.PAPER
    application.econsent_at = timezone.now()
    loan.borrower = None
    assert delivery_for(loan) == BorrowerDocument.Delivery.PAPER
