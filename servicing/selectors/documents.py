"""Reads of borrower documents: a loan's documents a page at a time, one document for its borrower or for staff."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from lending.core import roles
from lending.core.roles import RequestUser
from servicing.models import BorrowerDocument, LoanAccount, PrintBatch

DOCUMENTS_PAGE_SIZE = 20


def loan_documents(loan: LoanAccount) -> QuerySet[BorrowerDocument]:
    """Every document of ``loan`` (every kind and version), newest first."""
    return BorrowerDocument.objects.filter(loan=loan).order_by("-document_date", "-pk")


def loan_documents_page(loan: LoanAccount, page_number: str | int | None) -> Page[BorrowerDocument]:
    """One page of ``loan``'s documents (out of range: the last): a count and a page query."""
    return Paginator(loan_documents(loan), DOCUMENTS_PAGE_SIZE).get_page(page_number)


def document_for_borrower(*, user: RequestUser, pk: int) -> BorrowerDocument:
    """A document of the borrower's own loan, else 404 (never reveal that someone else's exists)."""
    if not roles.is_borrower(user):
        raise Http404("No such document")
    return get_object_or_404(BorrowerDocument.objects.select_related("loan"), pk=pk, loan__borrower=user)


def document_for_staff(*, pk: int) -> BorrowerDocument:
    """A document (404 when missing); the view has checked the role."""
    return get_object_or_404(BorrowerDocument.objects.select_related("loan"), pk=pk)


def print_batches_admin() -> QuerySet[PrintBatch]:
    return PrintBatch.objects.select_related("created_by")
