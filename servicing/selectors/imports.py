"""Reads for the import screens and the admin's loan page: constant query counts whatever the batch or loan size."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from servicing.models import AllocationLine, ImportBatch, ImportLine, LoanTransaction

PREVIEW_PAGE_SIZE = 100


def import_batch(*, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.select_related("uploaded_by", "committed_by"), pk=pk)


def import_lines_page(*, batch: ImportBatch, status: str = "", page: str | int | None = 1) -> Page[ImportLine]:
    """One page of the batch's lines in file order, optionally only those of one status, with what they posted."""
    lines = (
        ImportLine.objects.filter(batch=batch)
        .select_related("loan", "transaction")
        .only(
            "line_number",
            "raw",
            "status",
            "message",
            "loan__loan_number",
            "transaction__kind",
            "transaction__amount",
            "batch_id",
        )
        .order_by("line_number")
    )
    if status in ImportLine.Status.values:
        lines = lines.filter(status=status)
    return Paginator(lines, PREVIEW_PAGE_SIZE).get_page(page)


def loan_transactions_with_allocations(queryset: QuerySet[LoanTransaction]) -> QuerySet[LoanTransaction]:
    """Transactions with who posted them and their standing allocation lines (``.current()``), in two queries
    however many transactions there are: ``txn.current_lines``."""
    return queryset.select_related("posted_by").prefetch_related(
        Prefetch(
            "allocation_lines",
            queryset=AllocationLine.objects.current().select_related("installment").order_by("id"),
            to_attr="current_lines",
        )
    )
