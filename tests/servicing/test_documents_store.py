"""Storing borrower documents: hashed, versioned, never overwritten; delivery by e-consent."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from origination.services.disclosures import pdf_render
from servicing.models import BorrowerDocument
from servicing.services.documents import (
    DocumentToStore,
    delivery_for,
    document_store,
    documents_store_many,
    pdf_pages,
)
from tests.core.factories import user_with_role
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


def _econsented(loan):
    loan.application.econsent_at = timezone.now()
    loan.application.save(update_fields=["econsent_at"])
    return loan


def _item(loan, pdf: bytes, key: str = "2027-01-01", pages: int | None = None) -> DocumentToStore:
    return DocumentToStore(loan, KIND, key, f"Statement {key} " + "x" * 200, date(2026, 12, 17), pdf, pages)


def test_many_documents_are_stored_in_order_as_one_at_a_time_stores_each(pdf):
    loans = [boarded_loan(), boarded_loan()]
    actor = user_with_role(roles.SERVICER)
    many = documents_store_many(
        documents=[_item(loans[0], pdf, pages=7), _item(loans[1], b"%PDF-1.4 b", pages=2)], actor=actor
    )
    assert [(d.loan, d.kind, d.key, d.version, d.pages) for d in many] == [
        (loans[0], KIND, "2027-01-01", 1, 7),
        (loans[1], KIND, "2027-01-01", 1, 2),
    ]
    assert [d.sha256 for d in many] == [hashlib.sha256(pdf).hexdigest(), hashlib.sha256(b"%PDF-1.4 b").hexdigest()]
    assert [(d.pk is not None, d.created_by, d.document_date) for d in many] == [(True, actor, date(2026, 12, 17))] * 2
    assert many[0].title == f"Statement 2027-01-01 {'x' * 200}"[:200]
    with many[1].file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 b"
    one = store(boarded_loan(), pdf, actor=actor, pages=7, title=many[0].title)
    events = AuditEvent.objects.filter(verb="document.stored").order_by("pk")
    assert [e.target_id for e in events] == [str(many[0].pk), str(many[1].pk), str(one.pk)]
    assert [e.actor_id for e in events] == [actor.pk] * 3
    assert events[0].target_repr == str(many[0])
    expected = {"kind": KIND, "key": "2027-01-01", "version": 1, "sha256": one.sha256, "delivery": "paper"}
    assert events[0].after == {"loan": loans[0].loan_number, **expected}
    assert events[2].after == {"loan": one.loan.loan_number, **expected}
    fields = ("kind", "key", "version", "title", "sha256", "pages", "delivery", "document_date", "created_by_id")
    assert [getattr(many[0], f) for f in fields] == [getattr(one, f) for f in fields]


def test_a_document_stored_already_is_returned_unchanged_and_one_listed_twice_is_stored_once(pdf):
    loan, other = boarded_loan(), boarded_loan()
    store(loan, pdf)
    latest = store(loan, pdf, new_version=True)
    store(other, pdf, kind=BorrowerDocument.Kind.LATE_FEE)  # another kind, and another key: other documents
    store(other, pdf, key="2026-12-01")
    many = documents_store_many(
        documents=[_item(loan, b"%PDF-1.4 new"), _item(other, pdf), _item(other, b"%PDF-1.4 again")], actor=None
    )
    assert (many[0], many[0].version) == (latest, 2)
    assert (many[2], many[1].version, many[1].sha256) == (many[1], 1, hashlib.sha256(pdf).hexdigest())
    assert BorrowerDocument.objects.filter(loan=other, kind=KIND, key="2027-01-01").count() == 1
    assert AuditEvent.objects.filter(verb="document.stored").count() == 5
    assert many[1].created_by is None


def test_many_documents_are_stored_in_a_constant_number_of_queries(pdf, django_assert_num_queries):
    loans = [boarded_loan() for _ in range(3)]
    for loan in loans:
        loan.application  # noqa: B018 (read before: the statements' figures select it with the loan)
    with django_assert_num_queries(5):  # savepoint, the stored ones, the rows, the audit rows, release
        documents_store_many(documents=[_item(loan, pdf, pages=1) for loan in loans], actor=None)
    with django_assert_num_queries(2):  # nothing to store: the savepoint and its release
        assert documents_store_many(documents=[], actor=None) == []


def test_a_page_count_not_given_is_read_from_the_pdf(pdf):
    (document,) = documents_store_many(documents=[_item(boarded_loan(), pdf)], actor=None)
    assert document.pages == pdf_pages(pdf)


def test_the_email_documents_stored_are_emailed_after_commit_and_the_paper_ones_are_not(
    pdf, django_capture_on_commit_callbacks, mailoutbox
):
    emailed, paper = _econsented(boarded_loan()), boarded_loan()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        many = documents_store_many(documents=[_item(paper, pdf), _item(emailed, pdf)], actor=None)
    assert [d.delivery for d in many] == ["paper", "email"]
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [[emailed.borrower.email]]
