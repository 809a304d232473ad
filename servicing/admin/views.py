"""The admin's custom servicer views: post a payment (with a live preview of the waterfall), reverse a payment,
and the import flow (upload -> validated preview -> commit). Thin: check the role, validate, call a service or a
selector, render. The ``ModelAdmin`` classes in ``servicing.admin.loans`` route to these through ``get_urls``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from lending.core import roles
from lending.core.templatetags.money import format_money
from lending.finance.money import ZERO
from servicing.admin.forms import ImportUploadForm, PaymentPostForm, PaymentReverseForm
from servicing.models import AllocationLine, ImportBatch, LoanAccount, LoanTransaction
from servicing.selectors import imports as import_selectors
from servicing.selectors import replay as replay_selectors
from servicing.services.import_batches import ImportFileError
from servicing.services.imports import PAYMENT_FILE, payment_import_commit, payment_import_stage
from servicing.services.payments import PaymentError, payment_allocate, payment_post, payment_reverse
from servicing.services.transfer_import import BOARDING_FILE, boarding_import_commit, boarding_import_stage

VIEW_ROLES = (roles.SERVICER, roles.COLLECTOR, roles.MANAGER)
POSTING_ROLES = (roles.SERVICER, roles.MANAGER)
STAGERS = {ImportBatch.Kind.PAYMENT: payment_import_stage, ImportBatch.Kind.BOARDING: boarding_import_stage}
PREVIEW_FIELDS = ("amount", "effective_date", "directive")
COMMITTERS = {ImportBatch.Kind.PAYMENT: payment_import_commit, ImportBatch.Kind.BOARDING: boarding_import_commit}


def may_post(user) -> bool:
    return roles.has_role(user, *POSTING_ROLES)


def require_posting_role(request) -> None:
    if not may_post(request.user):
        raise PermissionDenied("Only servicers and managers post, reverse and import.")


MAX_PK = 2**63 - 1  # the largest id a BigAutoField holds: larger ones overflow the database driver


def object_pk(object_id: str) -> int:
    """The id in a custom admin URL as an int; 404 for anything that cannot be one (the route takes any path)."""
    if not (object_id.isascii() and object_id.isdigit()) or int(object_id) > MAX_PK:
        raise Http404(f"No object with id {object_id!r}.")
    return int(object_id)


def _context(model_admin, request, **extra):
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **extra}


# --- post a payment -------------------------------------------------------------------------------------------


def _replay_or(txn, url_name, pk, request):
    """After a posting that replayed later payments, show what changed; otherwise go back to ``url_name``."""
    replay = replay_selectors.replay_triggered_by(txn)
    if replay is None:
        return redirect(url_name, pk)
    messages.info(request, "Later payments were taken off and applied again in date order: here is what changed.")
    return redirect("servicing:replay-detail", replay.pk)


def payment_post_view(request, object_id, *, model_admin):
    require_posting_role(request)
    loan = get_object_or_404(LoanAccount, pk=object_pk(object_id))
    form = PaymentPostForm(request.POST or None, loan=loan)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                txn = _post(form, loan, request.user)
            except PaymentError as exc:
                visible = exc.field in form.fields and not form[exc.field].is_hidden
                form.add_error(exc.field if visible else None, _message(exc) if visible else str(exc))
            else:
                amount = format_money(txn.amount)
                messages.success(request, f"Payment of {amount} posted to {loan.loan_number} ({txn.reference}).")
                return _replay_or(txn, "admin:servicing_loanaccount_change", loan.pk, request)
        status = 400
    return TemplateResponse(
        request,
        "admin/servicing/payment_post.html",
        _context(
            model_admin,
            request,
            title=f"Post a payment to {loan.loan_number}",
            loan=loan,
            form=form,
            original=loan,
            preview_url=reverse("admin:servicing_loanaccount_payment_preview", args=[loan.pk]),
        ),
        status=status,
    )


def _post(form: PaymentPostForm, loan: LoanAccount, actor) -> LoanTransaction:
    data = form.cleaned_data
    return payment_post(
        loan=loan,
        amount=data["amount"],
        effective_date=data["effective_date"],
        method=data["method"],
        reference=data["reference"],
        idempotency_key=data["idempotency_key"],
        actor=actor,
        directive=data["directive"],
    )


def _message(exc: PaymentError) -> str:
    text = str(exc)
    return text.removeprefix(f"{exc.field}: ") if exc.field else text


@require_POST
def payment_preview_view(request, object_id, *, model_admin):
    """The split ``payment_post`` would make now (``payment_allocate``: writes nothing), for htmx to swap in."""
    require_posting_role(request)
    loan = get_object_or_404(LoanAccount, pk=object_pk(object_id))
    form = PaymentPostForm(request.POST, loan=loan)
    allocation = installments = None
    problems: list[str] = []
    if loan.status != LoanAccount.Status.ACTIVE:
        problems.append(f"{loan.loan_number} is {loan.get_status_display().lower()}: it takes no payments.")
    elif request.POST.get("amount") and request.POST.get("effective_date"):
        form.is_valid()
        # Only what the split depends on: the reference and method can be keyed in after looking at it.
        problems = [f"{form[name].label}: {e}" for name in PREVIEW_FIELDS for e in form.errors.get(name, [])]
        if not problems:
            data = form.cleaned_data
            try:
                allocation, installments = payment_allocate(
                    loan, data["amount"], data["effective_date"], data["directive"]
                )
            except PaymentError as exc:
                problems.append(str(exc))
    return TemplateResponse(
        request,
        "admin/servicing/_payment_preview.html",
        {"loan": loan, "problems": problems, "allocation": allocation, **_preview_rows(allocation, installments)},
    )


# The preview's columns: every bucket a payment can reach, so each row and each column adds up to the totals.
PREVIEW_COLUMNS = (
    ("late_fees", "Late fees"),
    ("fees", "Fees"),
    ("interest", "Interest"),
    ("principal", "Principal"),
    ("prepayment", "Prepayment"),
    ("escrow", "Escrow"),
    ("suspense", "Suspense"),
)
INSTALLMENT_BUCKETS = ("late_fees", "fees", "interest", "principal", "escrow")


def _preview_rows(allocation, installments) -> dict:
    """The waterfall as a table: one row per installment, then what went beyond the schedule (prepayment, an
    escrow deposit, money held in suspense, a bucket paid off no installment), and totals that are the column sums.
    Suspense released from earlier payments is shown apart, so the grand total is the payment's amount."""
    if allocation is None:
        return {}
    rows = [
        _preview_row(
            f"#{line.number}" + (" (paid in full)" if _pays_off(line, installments) else ""),
            line.due_date,
            {name: getattr(line, name) for name in INSTALLMENT_BUCKETS},
        )
        for line in allocation.lines
    ]
    beyond = {name: getattr(allocation, name) - sum(r["cells"][name] for r in rows) for name in INSTALLMENT_BUCKETS}
    extra = [
        ("Not on an installment", beyond),
        (f"{AllocationLine.Bucket.PREPAYMENT.label} (beyond the schedule)", {"prepayment": allocation.prepayment}),
        ("Escrow deposit (unscheduled)", {"escrow": allocation.escrow_deposit}),
        ("Held in suspense", {"suspense": allocation.to_suspense}),
    ]
    rows += [_preview_row(label, None, cells) for label, cells in extra if any(cells.values())]
    totals = _preview_row("Totals", None, {name: sum(r["cells"][name] for r in rows) for name, _ in PREVIEW_COLUMNS})
    return {
        "columns": PREVIEW_COLUMNS,
        "rows": rows,
        "totals": totals,
        "suspense_applied": allocation.suspense_applied,
    }


def _pays_off(line, installments) -> bool:
    return installments[line.number].outstanding == line.interest + line.principal + line.escrow


def _preview_row(label: str, due_date, cells: dict) -> dict:
    full = {name: cells.get(name, ZERO) for name, _ in PREVIEW_COLUMNS}
    return {
        "label": label,
        "due_date": due_date,
        "cells": full,
        "amounts": [full[name] for name, _ in PREVIEW_COLUMNS],
        "total": sum(full.values(), ZERO),
    }


# --- reverse a payment ----------------------------------------------------------------------------------------


def payment_reverse_view(request, object_id, *, model_admin):
    require_posting_role(request)
    txn = get_object_or_404(LoanTransaction.objects.select_related("loan", "posted_by"), pk=object_pk(object_id))
    form = PaymentReverseForm(request.POST or None)
    refusal, status = None, 200
    if txn.kind != LoanTransaction.Kind.PAYMENT or txn.status != LoanTransaction.Status.POSTED:
        kind, state = txn.get_kind_display().lower(), txn.get_status_display().lower()
        refusal, status = f"Transaction {txn.pk} is a {kind}, {state}: it cannot be reversed.", 409
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                reversal = payment_reverse(transaction=txn, reason=form.reason_text(), actor=request.user)
            except PaymentError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, _message(exc))
                else:  # refused as the payment stands (already reversed, its suspense since applied...)
                    refusal, status = str(exc), 409
            else:
                messages.success(request, f"Payment {txn.pk} reversed ({reversal.note}).")
                return _replay_or(reversal, "admin:servicing_loantransaction_change", txn.pk, request)
    return TemplateResponse(
        request,
        "admin/servicing/payment_reverse.html",
        _context(
            model_admin,
            request,
            title=f"Reverse payment {txn.pk}",
            txn=txn,
            original=txn,
            form=form,
            refusal=refusal,
        ),
        status=status,
    )


# --- imports ----------------------------------------------------------------------------------------------------


def import_upload_view(request, *, model_admin):
    require_posting_role(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            stage = STAGERS[form.cleaned_data["kind"]]
            try:
                batch = stage(file_name=upload.name, content=upload.read(), actor=request.user)
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("admin:servicing_importbatch_preview", batch.pk)
    return TemplateResponse(
        request,
        "admin/servicing/import_upload.html",
        _context(model_admin, request, title="Upload an import file", form=form, formats=_formats()),
        status=status,
    )


def _formats():
    return [
        (ImportBatch.Kind(f.kind).label, f.required_columns, f.optional_columns) for f in (PAYMENT_FILE, BOARDING_FILE)
    ]


def import_preview_view(request, object_id, *, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    batch = import_selectors.import_batch(pk=object_pk(object_id))
    status = request.GET.get("status", "")
    page = import_selectors.import_lines_page(batch=batch, status=status, page=request.GET.get("page"))
    return TemplateResponse(
        request,
        "admin/servicing/import_preview.html",
        _context(
            model_admin,
            request,
            title=f"{batch.get_kind_display()}: {batch.file_name}",
            batch=batch,
            original=batch,
            page=page,
            lines=list(page.object_list),
            status=status,
            statuses=batch.lines.model.Status.choices,
            may_commit=may_post(request.user) and batch.valid_count > 0,
            amount_label="Amount" if batch.kind == ImportBatch.Kind.PAYMENT else "UPB",
        ),
    )


@require_POST
def import_commit_view(request, object_id, *, model_admin):
    require_posting_role(request)
    batch = get_object_or_404(ImportBatch, pk=object_pk(object_id))
    batch = COMMITTERS[batch.kind](batch=batch, actor=request.user)
    messages.success(
        request,
        f"Committed: {batch.posted_count} posted ({format_money(batch.posted_total)}), "
        f"{batch.duplicate_count} already posted, {batch.error_count} with errors.",
    )
    return redirect("admin:servicing_importbatch_preview", batch.pk)
