"""Borrower documents, each write pinned by what it leaves behind: the row, the file and the audit row
``document_store`` writes; the email ``document_email`` sends and what it records; what ``document_resend`` does,
and each refusal in its own words with nothing written. A write repeated changes nothing."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from pypdf import PdfWriter

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.models import BorrowerDocument, LoanAccount
from servicing.services.documents import (
    DocumentError,
    delivery_for,
    document_email,
    document_portal_url,
    document_resend,
    document_store,
)
from servicing.services.print_batches import print_batch_run
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
DAY = date(2027, 2, 18)


def blank_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = blank_pdf()


def econsent(loan: LoanAccount) -> LoanAccount:
    application = loan.application
    assert application is not None
    application.econsent_at = timezone.now()
    application.save(update_fields=["econsent_at"])
    return loan


def store(loan: LoanAccount, **kwargs) -> BorrowerDocument:
    values: dict[str, Any] = {
        "loan": loan,
        "kind": BorrowerDocument.Kind.LATE_FEE,
        "key": "1",
        "title": "Late fee charged",
        "document_date": date(2027, 2, 17),
        "pdf": PDF,
        "actor": None,
    }
    return document_store(**(values | kwargs))


def as_json(value):
    """A value as an audit row keeps it (DjangoJSONEncoder: a datetime to the millisecond)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_row(verb: str) -> tuple:
    event = AuditEvent.objects.get(verb=verb)
    assert event.target_type is not None
    return (event.actor, event.target_type.model_class(), event.target_id, event.before, event.after, event.note)


def no_email_address(loan: LoanAccount) -> None:
    borrower = loan.borrower
    assert borrower is not None
    borrower.email = ""
    borrower.save(update_fields=["email"])


# --- storing --------------------------------------------------------------------------------------------------------


def test_a_stored_document_keeps_every_field_its_bytes_and_an_audit_row_by_its_maker():
    loan = boarded_loan()
    servicer = user_with_role(roles.SERVICER)
    pdf = blank_pdf(3)
    document = store(loan, key="7", pdf=pdf, actor=servicer)
    document.refresh_from_db()
    digest = hashlib.sha256(pdf).hexdigest()
    assert (
        document.kind,
        document.key,
        document.version,
        document.title,
        document.document_date,
        document.sha256,
        document.pages,
        document.created_by,
        document.delivery,
        document.delivered_at,
        document.print_batch,
    ) == ("late_fee", "7", 1, "Late fee charged", date(2027, 2, 17), digest, 3, servicer, "paper", None, None)
    with document.file.open("rb") as stored:
        assert stored.read() == pdf
    assert audit_row("document.stored") == (
        servicer,
        BorrowerDocument,
        str(document.pk),
        {},
        {"loan": loan.loan_number, "kind": "late_fee", "key": "7", "version": 1, "sha256": digest, "delivery": "paper"},
        "",
    )


def test_a_title_longer_than_its_column_keeps_its_first_200_characters():
    document = store(boarded_loan(), title="A" * 150 + "B" * 100)
    document.refresh_from_db()
    assert document.title == "A" * 150 + "B" * 50


def test_a_document_stored_by_no_one_or_by_an_unsaved_user_names_no_maker():
    loan = boarded_loan()
    by_no_one = store(loan, key="1", actor=None)
    by_unsaved = store(loan, key="2", actor=User(email="ghost@example.com"))
    assert [d.created_by for d in BorrowerDocument.objects.filter(pk__in=[by_no_one.pk, by_unsaved.pk])] == [None, None]
    assert [e.actor_label for e in AuditEvent.objects.filter(verb="document.stored")] == ["system", "system"]


def test_each_new_version_is_numbered_after_the_last_and_a_plain_repeat_returns_the_latest_writing_nothing():
    loan = boarded_loan()
    first = store(loan)
    second = store(loan, new_version=True, pdf=blank_pdf(2))
    third = store(loan, new_version=True)
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert store(loan, pdf=blank_pdf(4)) == third
    assert BorrowerDocument.objects.filter(loan=loan).count() == 3
    versions = [e.after["version"] for e in AuditEvent.objects.filter(verb="document.stored").order_by("pk")]
    assert versions == [1, 2, 3]
    # Another key, the same key of another kind, or of another loan: a document of its own.
    assert store(loan, key="2").version == 1
    assert store(loan, kind=BorrowerDocument.Kind.STATEMENT).version == 1
    assert store(boarded_loan()).version == 1


def test_only_an_email_document_is_handed_to_delivery_on_commit(django_capture_on_commit_callbacks):
    paper, emailed = boarded_loan(), econsent(boarded_loan())
    with django_capture_on_commit_callbacks() as callbacks:
        store(paper)
    assert callbacks == []  # paper waits for the print batch
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        store(emailed)
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [[emailed.borrower.email]]


def test_a_loan_without_an_application_gets_paper_even_with_a_portal_account():
    loan = econsent(boarded_loan())
    assert delivery_for(loan) == BorrowerDocument.Delivery.EMAIL
    loan.application = None  # boarded from a servicing transfer: no e-consent on file here
    assert delivery_for(loan) == BorrowerDocument.Delivery.PAPER


def test_a_site_served_under_a_path_links_its_documents_under_that_path(settings):
    document = store(boarded_loan())
    settings.LENDING_SITE_URL = "https://lend.example/TX/"  # only the trailing slash is dropped
    assert document_portal_url(document) == f"https://lend.example/TX/portal/documents/{document.pk}/"


def test_storing_a_document_writes_its_row_once(django_assert_num_queries):
    store(boarded_loan())  # caches warmed
    loan = boarded_loan()
    # Savepoint, the latest version, the row, its audit row, release: the row is inserted once.
    with django_assert_num_queries(5):
        store(loan)


# --- emailing ------------------------------------------------------------------------------------------------------


def test_emailing_sends_one_message_marks_the_document_delivered_and_records_who_sent_it():
    loan = econsent(boarded_loan())
    document = store(loan)  # not committed: not delivered yet
    servicer = user_with_role(roles.SERVICER)
    started = timezone.now()
    assert document_email(document_id=document.pk, actor=servicer) is True
    (message,) = mail.outbox
    assert (message.to, message.subject) == ([loan.borrower.email], "New document in your portal: Late fee charged")
    document.refresh_from_db()
    assert started <= document.delivered_at <= timezone.now()
    assert audit_row("document.emailed") == (
        servicer,
        BorrowerDocument,
        str(document.pk),
        {},
        {"delivered_at": as_json(document.delivered_at)},
        "",
    )
    # Again (a retried task): nothing is sent or recorded.
    assert document_email(document_id=document.pk, actor=servicer) is False
    assert (len(mail.outbox), AuditEvent.objects.filter(verb="document.emailed").count()) == (1, 1)


def test_emailing_reads_the_document_with_its_loan_and_borrower_at_once(django_assert_num_queries):
    document_email(document_id=store(econsent(boarded_loan())).pk, actor=None)  # caches warmed
    document = store(econsent(boarded_loan()))
    # Savepoint, the document locked with its loan and borrower, delivered, its audit row, release.
    with django_assert_num_queries(5):
        assert document_email(document_id=document.pk, actor=None) is True


def test_a_paper_document_or_one_that_is_gone_is_not_emailed():
    document = store(boarded_loan())
    assert document_email(document_id=document.pk, actor=None) is False
    assert document_email(document_id=document.pk + 1000, actor=None) is False
    document.refresh_from_db()
    assert (document.delivery, document.delivered_at, mail.outbox) == ("paper", None, [])
    assert not AuditEvent.objects.filter(verb__in=["document.emailed", "document.sent_to_paper"]).exists()


def test_an_email_document_with_no_address_goes_to_paper_once_recorded_with_why():
    loan = econsent(boarded_loan())
    document = store(loan)
    no_email_address(loan)
    servicer = user_with_role(roles.SERVICER)
    assert document_email(document_id=document.pk, actor=servicer) is False
    document.refresh_from_db()
    assert (document.delivery, document.delivered_at, mail.outbox) == ("paper", None, [])
    assert audit_row("document.sent_to_paper") == (
        servicer,
        BorrowerDocument,
        str(document.pk),
        {"delivery": "email"},
        {"delivery": "paper"},
        "The borrower has no email address to write to.",
    )
    assert document_email(document_id=document.pk, actor=servicer) is False  # now paper: nothing more
    assert AuditEvent.objects.filter(verb="document.sent_to_paper").count() == 1


def test_a_loan_whose_portal_account_was_removed_gets_its_email_document_on_paper():
    loan = econsent(boarded_loan())
    document = store(loan)
    LoanAccount.objects.filter(pk=loan.pk).update(borrower=None)
    assert document_email(document_id=document.pk, actor=None) is False
    document.refresh_from_db()
    assert (document.delivery, mail.outbox) == ("paper", [])


# --- resending -----------------------------------------------------------------------------------------------------


def test_resending_an_emailed_document_emails_it_again_now_and_records_before_and_after():
    loan = econsent(boarded_loan())
    document = store(loan)
    document_email(document_id=document.pk, actor=None)
    document.refresh_from_db()
    first_sent = document.delivered_at
    servicer = user_with_role(roles.SERVICER)
    assert document_resend(document=document, actor=servicer) == "emailed"
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([loan.borrower.email], "New document in your portal: Late fee charged")
    ] * 2
    stored = BorrowerDocument.objects.get(pk=document.pk)
    assert first_sent <= stored.delivered_at <= timezone.now()
    assert (document.delivered_at, document.print_batch) == (stored.delivered_at, None)  # the caller's copy too
    assert audit_row("document.resent") == (
        servicer,
        BorrowerDocument,
        str(document.pk),
        {"delivered_at": as_json(first_sent), "print_batch": None},
        {"delivered_at": as_json(stored.delivered_at), "print_batch": None, "delivery": "email"},
        "emailed",
    )


def test_resending_a_printed_document_takes_it_out_of_its_batch_for_the_next_one():
    document = store(boarded_loan())
    batch = print_batch_run(business_date=DAY, actor=None)
    document.refresh_from_db()
    printed_at = document.delivered_at
    assert (document.print_batch, printed_at is not None) == (batch, True)
    servicer = user_with_role(roles.SERVICER)
    assert document_resend(document=document, actor=servicer) == "queued for printing"
    assert (document.delivered_at, document.print_batch) == (None, None)  # the caller's copy
    stored = BorrowerDocument.objects.get(pk=document.pk)
    assert (stored.delivered_at, stored.print_batch, mail.outbox) == (None, None, [])
    assert audit_row("document.resent") == (
        servicer,
        BorrowerDocument,
        str(document.pk),
        {"delivered_at": as_json(printed_at), "print_batch": batch.pk},
        {"delivered_at": None, "print_batch": None, "delivery": "paper"},
        "queued for printing",
    )


def test_a_resend_without_an_email_address_is_refused_in_words_and_changes_nothing():
    loan = econsent(boarded_loan())
    document = store(loan)
    document_email(document_id=document.pk, actor=None)
    document.refresh_from_db()
    sent = document.delivered_at
    no_email_address(loan)
    with pytest.raises(DocumentError) as refused:
        document_resend(document=document, actor=None)
    assert str(refused.value) == f"{loan.loan_number}: the borrower has no email address to write to."
    document.refresh_from_db()
    assert (document.delivered_at, document.delivery, len(mail.outbox)) == (sent, "email", 1)
    assert not AuditEvent.objects.filter(verb="document.resent").exists()


def test_resending_a_document_that_no_longer_exists_is_refused_in_words():
    document = store(boarded_loan())
    BorrowerDocument.objects.filter(pk=document.pk).delete()
    with pytest.raises(DocumentError) as refused:
        document_resend(document=document, actor=None)
    assert str(refused.value) == "The document no longer exists."
    assert not AuditEvent.objects.filter(verb="document.resent").exists()
