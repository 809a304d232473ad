"""Delivering borrower documents: an email with the portal link only (no attachment, no personal data) for e-consent
borrowers; paper into the daily print batch (one combined PDF, a manifest, one batch per date, a document in one
batch only); the admin's resend; the borrower's "payment received" choice."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from lending.core.models import AuditEvent
from servicing.models import BorrowerDocument, PrintBatch
from servicing.services import print_batches
from servicing.services.documents import DocumentError, document_email, document_resend, document_store
from servicing.services.print_batches import MANIFEST_HEADER, print_batch_run
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
DAY = date(2027, 2, 18)


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def econsent(loan):
    loan.application.econsent_at = timezone.now()
    loan.application.save(update_fields=["econsent_at"])
    return loan


def store(loan, key="1", pages=1, title="Late fee charged"):
    return document_store(
        loan=loan,
        kind=BorrowerDocument.Kind.LATE_FEE,
        key=key,
        title=title,
        document_date=date(2027, 2, 17),
        pdf=blank_pdf(pages),
        actor=None,
    )


# --- email ---------------------------------------------------------------------------------------------------------


def test_an_econsent_document_is_emailed_once_after_commit_with_the_link_only(django_capture_on_commit_callbacks):
    loan = econsent(boarded_loan())
    with django_capture_on_commit_callbacks(execute=True):
        document = store(loan)
        assert mail.outbox == []  # not before commit
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [loan.borrower.email]
    assert message.subject == "New document in your portal: Late fee charged"
    assert f"{settings.LENDING_SITE_URL.rstrip('/')}/portal/documents/{document.pk}/" in message.body
    assert f"Hello {loan.borrower_name}," in message.body
    assert message.attachments == []
    borrower = loan.application.borrowers.get(is_primary=True)
    for secret in (borrower.ssn, borrower.ssn_last4, loan.loan_number, "$"):
        assert secret not in message.body
    document.refresh_from_db()
    assert document.delivered_at is not None
    assert AuditEvent.objects.filter(verb="document.emailed", target_id=str(document.pk)).count() == 1
    # A retried task sends nothing more; storing the same document again neither.
    assert document_email(document_id=document.pk, actor=None) is False
    with django_capture_on_commit_callbacks(execute=True):
        assert store(loan) == document
    assert len(mail.outbox) == 1


def test_an_email_document_without_an_address_goes_to_paper(django_capture_on_commit_callbacks):
    loan = econsent(boarded_loan())
    loan.borrower.email = ""
    loan.borrower.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        document = store(loan)
    document.refresh_from_db()
    assert (document.delivery, document.delivered_at, mail.outbox) == ("paper", None, [])
    assert AuditEvent.objects.filter(verb="document.sent_to_paper", target_id=str(document.pk)).count() == 1


# --- paper -----------------------------------------------------------------------------------------------------


def test_paper_documents_make_one_batch_whose_pdf_has_every_page_and_a_manifest_row_each(
    django_capture_on_commit_callbacks,
):
    first, second = boarded_loan(), boarded_loan()
    emailed = econsent(boarded_loan())
    with django_capture_on_commit_callbacks(execute=True):
        one = store(first, pages=1)
        three = store(second, pages=3, title="Paid-in-full letter and lien release")
        store(emailed)
    assert (one.delivery, three.delivery) == ("paper", "paper")
    batch = print_batch_run(business_date=DAY, actor=None)
    assert (batch.business_date, batch.document_count, batch.page_count) == (DAY, 2, 4)  # 1 + 3 pages
    with batch.combined_pdf.open("rb") as stored:
        assert len(PdfReader(io.BytesIO(stored.read())).pages) == 4
    with batch.manifest.open("rb") as stored:
        rows = list(csv.reader(io.StringIO(stored.read().decode())))
    borrower = second.application.borrowers.get(is_primary=True)
    address = f"{borrower.address_line1}, {borrower.city}, {borrower.state} {borrower.postal_code}"
    assert rows[0] == list(MANIFEST_HEADER)
    assert rows[2] == [
        str(three.pk),
        second.loan_number,
        second.borrower_name,
        address,
        "Paid-in-full letter and lien release",
        "3",
        "2",  # after the 1-page document
    ]
    assert [row[0] for row in rows[1:]] == [str(one.pk), str(three.pk)]
    for document in (one, three):
        document.refresh_from_db()
        assert (document.print_batch, document.delivered_at is not None) == (batch, True)
    assert AuditEvent.objects.filter(verb="print_batch.created", target_id=str(batch.pk)).count() == 1


def test_a_rerun_for_the_date_changes_nothing_and_a_later_document_waits_for_the_next_batch():
    loan = boarded_loan()
    first = store(loan, key="1")
    batch = print_batch_run(business_date=DAY, actor=None)
    later = store(loan, key="2", pages=2)
    assert print_batch_run(business_date=DAY, actor=None) == batch
    batch.refresh_from_db()
    assert (batch.document_count, PrintBatch.objects.count()) == (1, 1)
    nxt = print_batch_run(business_date=date(2027, 2, 19), actor=None)
    assert (nxt.document_count, nxt.page_count) == (1, 2)
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.print_batch, later.print_batch) == (batch, nxt)  # never in two batches
    assert print_batch_run(business_date=date(2027, 2, 22), actor=None) is None  # nothing waits: no batch


def test_the_print_batch_command(capsys):
    assert "nothing to print" in _command("--date", "2027-02-18")
    store(boarded_loan(), pages=2)
    assert _command("--date", "2027-02-18").startswith("Print batch 2027-02-18: 1 document, 2 pages (batch ")
    assert PrintBatch.objects.get().business_date == DAY


def _command(*args) -> str:
    out = io.StringIO()
    call_command("print_batch", *args, stdout=out)
    return out.getvalue()


def test_the_beat_schedule_runs_the_print_batch_after_the_close_of_business():
    entry = settings.CELERY_BEAT_SCHEDULE["servicing-print-batch"]
    assert entry["task"] == "servicing.print_batch"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {0})
    assert settings.CELERY_BEAT_SCHEDULE["servicing-nightly"]["schedule"].hour == {1}


# --- resend ----------------------------------------------------------------------------------------------------


def test_resend_emails_again_or_requeues_for_print_audited(django_capture_on_commit_callbacks):
    emailed_loan = econsent(boarded_loan())
    with django_capture_on_commit_callbacks(execute=True):
        emailed = store(emailed_loan)
    assert document_resend(document=emailed, actor=None) == "emailed"
    assert len(mail.outbox) == 2
    assert mail.outbox[1].attachments == []

    paper = store(boarded_loan())
    batch = print_batch_run(business_date=DAY, actor=None)
    assert document_resend(document=paper, actor=None) == "queued for printing"
    paper.refresh_from_db()
    assert (paper.print_batch, paper.delivered_at) == (None, None)
    again = print_batch_run(business_date=date(2027, 2, 19), actor=None)
    paper.refresh_from_db()
    assert (paper.print_batch, again.document_count) == (again, 1)
    assert batch.document_count == 1  # the first batch keeps its files: it was printed then
    events = AuditEvent.objects.filter(verb="document.resent").order_by("pk")
    assert [e.note for e in events] == ["emailed", "queued for printing"]
    assert events[1].before["print_batch"] == batch.pk


def test_resend_without_an_email_address_is_refused(django_capture_on_commit_callbacks):
    loan = econsent(boarded_loan())
    document = store(loan)  # not committed: still undelivered email
    loan.borrower.email = ""
    loan.borrower.save(update_fields=["email"])
    with pytest.raises(DocumentError, match="no email address"):
        document_resend(document=document, actor=None)
    assert not AuditEvent.objects.filter(verb="document.resent").exists()


def test_a_concurrent_run_that_made_the_batch_first_stands(monkeypatch):
    store(boarded_loan())
    found = print_batches.documents_to_print

    def racing():
        rows = found()
        PrintBatch.objects.create(business_date=DAY, document_count=0)  # the other run commits first
        return rows

    monkeypatch.setattr(print_batches, "documents_to_print", racing)
    batch = print_batch_run(business_date=DAY, actor=None)
    assert (batch.document_count, PrintBatch.objects.count()) == (0, 1)
    assert BorrowerDocument.objects.get().print_batch is None  # still waiting: the next batch takes it


# --- who the email greets and where it goes --------------------------------------------------------------------------


def test_the_greeting_falls_back_from_the_booked_name_to_the_account_name_to_the_email_to_borrower():
    from servicing.services.documents import borrower_display_name

    loan = boarded_loan()
    loan.borrower_name = "Ada Lovelace"
    assert borrower_display_name(loan) == "Ada Lovelace"
    loan.borrower_name = ""
    loan.borrower.first_name, loan.borrower.last_name = "Grace", "Hopper"
    assert borrower_display_name(loan) == "Grace Hopper"
    loan.borrower.first_name = loan.borrower.last_name = ""
    assert borrower_display_name(loan) == loan.borrower.email
    loan.borrower = None
    assert borrower_display_name(loan) == "Borrower"


def test_the_email_body_is_exactly_the_greeting_title_link_and_phone(django_capture_on_commit_callbacks, settings):
    settings.LENDING_SITE_URL = "https://lend.example/"  # a trailing slash is not doubled
    loan = econsent(boarded_loan())
    with django_capture_on_commit_callbacks(execute=True):
        document = store(loan, title="Mortgage statement, payment due Feb 1, 2027")
    (message,) = mail.outbox
    phone = settings.LENDING_SERVICER_PHONE
    assert message.subject == "New document in your portal: Mortgage statement, payment due Feb 1, 2027"
    assert message.body.splitlines() == [
        f"Hello {loan.borrower_name},",
        "",
        "A new document is in your borrower portal: Mortgage statement, payment due Feb 1, 2027.",
        "",
        "Sign in to read or download it:",
        f"https://lend.example/portal/documents/{document.pk}/",
        "",
        f"For your security we do not attach documents to emails. Questions? Call us at {phone}.",
        "",
        "Lending",
        "",
    ]


def test_an_inactive_borrower_account_is_not_emailed_the_document_goes_to_paper(django_capture_on_commit_callbacks):
    loan = econsent(boarded_loan())
    loan.borrower.is_active = False
    loan.borrower.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        document = store(loan)
    document.refresh_from_db()
    assert (document.delivery, document.delivered_at, mail.outbox) == ("paper", None, [])


def test_the_latest_version_is_the_existing_document():
    from servicing.services.documents import document_existing

    loan = boarded_loan()
    first = store(loan)
    second = document_store(
        loan=loan,
        kind=BorrowerDocument.Kind.LATE_FEE,
        key="1",
        title="Late fee charged",
        document_date=date(2027, 2, 17),
        pdf=blank_pdf(2),
        actor=None,
        new_version=True,
    )
    assert document_existing(loan=loan, kind=BorrowerDocument.Kind.LATE_FEE, key="1") == second != first
    assert document_existing(loan=loan, kind=BorrowerDocument.Kind.LATE_FEE, key="2") is None
