"""Payment files (lockbox deposits, ACH returns) imported from CSV: staged with per-line errors, then committed.

Columns (header row required): ``loan_number, amount, effective_date, reference`` and optionally ``method``
(default lockbox), ``directive`` (standard, principal_only, escrow_only), ``type`` (``payment``, the default, or
``return``) and ``return_reason``. ``reference`` is the file's unique reference: a payment line posts through
``payment_post`` with the idempotency key ``import:<reference>``, so a file uploaded again (or overlapping an
earlier one) posts nothing new: its lines show as already posted. A ``return`` line reverses, through
``payment_reverse``, the payment of that loan whose reference it names (posted earlier, or by a payment line
above it in the same file); a payment already reversed is reported as such, not as an error.

Staging and committing are the shared mechanism of ``import_batches``; this module is only the format. Speed:
validation costs a few queries per chunk of lines; a chunk of payment lines posts as one batch through
``payments_post_many`` (the same postings as ``payment_post``, in a few statements per chunk); a chunk with
return lines goes one line at a time. Line statuses are written back in bulk.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from lending.core.models import User
from servicing.models import ImportBatch, ImportLine, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.import_batches import (
    ImportFormat,
    RowCheck,
    batch_commit,
    batch_stage,
    parse_choice,
    parse_date,
    parse_money,
    parse_text,
)
from servicing.services.payments import PaymentError, payment_post, payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many

PAYMENT, RETURN = "payment", "return"
KEY_PREFIX = "import:"
MAX_REFERENCE = 100 - len(KEY_PREFIX)
Status = ImportLine.Status
# Read once: a choices class builds its list of values anew on every access (twice a line).
_METHODS = tuple(LoanTransaction.Method.values)
_DIRECTIVES = tuple(LoanTransaction.Directive.values)
_LOAN_CHECKED = ("loan_number", "status", "disbursement_date")  # what staging reads of a loan


def import_key(reference: str) -> str:
    """The idempotency key of the payment an import line with ``reference`` posts."""
    return f"{KEY_PREFIX}{reference}"


class PaymentFile(ImportFormat):
    kind = ImportBatch.Kind.PAYMENT
    required_columns = ("loan_number", "amount", "effective_date", "reference")
    optional_columns = ("method", "directive", "type", "return_reason")
    # A chunk is one transaction of payments_post_many: its fixed cost (the statements' planning and sending, the
    # reads' set-up) over 2,000 lines, not 500 (-5 % CPU a payment). It holds up to 2,000 loans' locks for the
    # ~2 s it takes, as the nightly chunks of 2,000 do.
    chunk_size = 2000

    # --- staging -----------------------------------------------------------------------------------------

    def check_rows(self, rows: list[RowCheck], state: dict[str, Any]) -> None:
        numbers = {row.raw["loan_number"] for row in rows}
        # Only what the checks read: a loan's whole row is dozens of fields to build a model from, 500 times a chunk.
        found = LoanAccount.objects.filter(loan_number__any=numbers).only(*_LOAN_CHECKED)
        loans = {loan.loan_number: loan for loan in found}
        references = {row.raw["reference"] for row in rows}
        posted = _posted([import_key(r) for r in references])
        targets = _payments_by_reference([row for row in rows if row.raw.get("type", "").lower() == RETURN], loans)
        today = payments._today()  # the same clock payment_post checks against
        for row in rows:
            kind = parse_choice(row, "type", (PAYMENT, RETURN), default=PAYMENT)
            loan = self._loan(row, loans, kind)
            reference = parse_text(row, "reference", max_length=MAX_REFERENCE)
            if reference is not None and kind is not None:
                _unique_in_file(row, state.setdefault(kind, {}), reference)
            if kind == RETURN:
                self._check_return(row, loan, reference, targets, state)
            else:
                self._check_payment(row, loan, reference, today)
                if not row.errors and reference is not None and loan is not None:
                    _already_posted(row, posted.get(import_key(reference)), loan)
                    state.setdefault("payment_loans", {})[reference] = loan.pk

    def _loan(self, row: RowCheck, loans: dict[str, LoanAccount], kind: str | None) -> LoanAccount | None:
        number = parse_text(row, "loan_number", max_length=32)
        if number is None:
            return None
        loan = loans.get(number)
        if loan is None:
            row.error("loan_number", f"no loan {number}")
        elif kind == PAYMENT and loan.status != LoanAccount.Status.ACTIVE:
            row.error("loan_number", f"{number} is {loan.get_status_display().lower()}")
        else:
            row.loan_id = loan.pk
        return loan

    def _check_payment(self, row: RowCheck, loan: LoanAccount | None, reference: str | None, today: date) -> None:
        amount = parse_money(row, "amount", positive=True)
        when = parse_date(row, "effective_date")
        method = parse_choice(row, "method", _METHODS, default=LoanTransaction.Method.LOCKBOX)
        directive = parse_choice(row, "directive", _DIRECTIVES, default=LoanTransaction.Directive.STANDARD)
        if when is not None and loan is not None and when < loan.disbursement_date:
            row.error("effective_date", f"{when} is before the loan's disbursement date {loan.disbursement_date}")
        latest = today + timedelta(days=payments.MAX_DAYS_AHEAD)
        if when is not None and when > latest:
            row.error("effective_date", f"{when} is more than {payments.MAX_DAYS_AHEAD} days ahead (latest {latest})")
        if row.raw.get("return_reason"):
            row.error("return_reason", "only for return lines")
        row.parsed = {
            "type": PAYMENT,
            "loan_number": loan.loan_number if loan else None,
            "amount": str(amount),
            "effective_date": when.isoformat() if when else None,
            "method": method,
            "directive": directive,
            "reference": reference,
        }

    def _check_return(
        self,
        row: RowCheck,
        loan: LoanAccount | None,
        reference: str | None,
        targets: dict[tuple[int, str], list[LoanTransaction]],
        state: dict[str, Any],
    ) -> None:
        reason = parse_text(row, "return_reason", max_length=200)
        amount = parse_money(row, "amount", required=False, positive=True)
        parse_date(row, "effective_date", required=False)
        if row.raw.get("directive"):
            row.error("directive", "not for return lines")
        if loan is None or reference is None:
            return
        found = targets.get((loan.pk, reference), [])
        in_file = state.get("payment_loans", {}).get(reference) == loan.pk
        if len(found) > 1:
            row.error("reference", f"{len(found)} payments on {loan.loan_number} carry reference {reference}")
            return
        if not found and not in_file:
            row.error("reference", f"no payment with reference {reference} on {loan.loan_number}")
            return
        target = found[0] if found else None
        if target is not None and amount is not None and amount != target.amount:
            row.error("amount", f"{amount} is not the returned payment's amount {target.amount}")
        row.parsed = {"type": RETURN, "loan_number": loan.loan_number, "reference": reference, "reason": reason}
        if target is not None and target.status == LoanTransaction.Status.REVERSED and not row.errors:
            row.status, row.transaction_id = Status.DUPLICATE, target.pk
            row.message = f"payment {target.pk} ({reference}) is already reversed"

    # --- committing ------------------------------------------------------------------------------------------

    def commit_context(self, lines: list[ImportLine]) -> dict[str, Any]:
        posted = _posted([import_key(line.parsed["reference"]) for line in lines if line.parsed["type"] == PAYMENT])
        # Postings another batch's line made are duplicates; those of this batch's own lines (a commit of the
        # same batch running at the same time) are this line's posting.
        elsewhere = (
            set(
                ImportLine.objects.filter(transaction__in=[txn.pk for txn in posted.values()], status=Status.POSTED)
                .exclude(batch_id=lines[0].batch_id)
                .values_list("transaction_id", flat=True)
            )
            if posted
            else set()
        )
        # The loans are read when a line is committed on its own (a batch locks and reads its own).
        return {"loan_ids": {line.loan_id for line in lines}, "posted": posted, "elsewhere": elsewhere}

    def commit_line(self, line: ImportLine, context: dict[str, Any], actor: User | None) -> None:
        fields = line.parsed
        if "loans" not in context:
            context["loans"] = LoanAccount.objects.in_bulk(context["loan_ids"])
        loan = context["loans"][line.loan_id]
        if fields["type"] == RETURN:
            _commit_return(line, loan, actor)
            return
        key = import_key(fields["reference"])
        earlier = context["posted"].get(key)
        if earlier is not None:
            if earlier.loan_id != loan.pk:
                raise PaymentError(_used_elsewhere(earlier), "reference")
            if earlier.pk in context["elsewhere"]:
                _mark_duplicate(line, earlier)
            else:
                line.status, line.transaction_id, line.message = Status.POSTED, earlier.pk, ""
            return
        txn = payment_post(
            loan=loan,
            amount=Decimal(fields["amount"]),
            effective_date=date.fromisoformat(fields["effective_date"]),
            method=fields["method"],
            reference=fields["reference"],
            idempotency_key=key,
            actor=actor,
            directive=fields["directive"],
        )
        line.status, line.transaction_id, line.message = Status.POSTED, txn.pk, ""

    def commit_lines(self, lines: list[ImportLine], context: dict[str, Any], actor: User | None) -> bool:
        """Post the chunk's payment lines as one batch (``payments_post_many``: the postings ``payment_post``
        makes, in a few statements). False, and nothing done, when the chunk has return lines: a return's place
        among the payments matters, so that chunk goes one line at a time."""
        if any(line.parsed["type"] == RETURN for line in lines):
            return False
        fresh = []
        for line in lines:
            if import_key(line.parsed["reference"]) in context["posted"]:
                self.commit_line(line, context, actor)  # posted before: answered without posting
            else:
                fresh.append(line)
        results = payments_post_many(requests=[_request(line) for line in fresh], actor=actor)
        for line, result in zip(fresh, results, strict=True):
            if result.transaction is not None:
                line.status, line.transaction_id, line.message = Status.POSTED, result.transaction.pk, ""
            else:
                line.status, line.message = Status.ERROR, str(result.error)
        return True


def _posted(keys: list[str]) -> dict[str, LoanTransaction]:
    """The postings made under ``keys`` before, by key: one query, the keys as one array parameter."""
    return {txn.idempotency_key: txn for txn in LoanTransaction.objects.filter(idempotency_key__any=keys)}


def _request(line: ImportLine) -> PaymentRequest:
    fields = line.parsed
    return PaymentRequest(
        loan_id=cast(int, line.loan_id),  # staged valid lines name their loan
        amount=Decimal(fields["amount"]),
        effective_date=date.fromisoformat(fields["effective_date"]),
        method=fields["method"],
        reference=fields["reference"],
        idempotency_key=import_key(fields["reference"]),
        directive=fields["directive"],
    )


def _commit_return(line: ImportLine, loan: LoanAccount, actor: User | None) -> None:
    reference = line.parsed["reference"]
    target = _return_target(loan, reference)
    if target is None:
        raise PaymentError(f"no payment with reference {reference} on {loan.loan_number}", "reference")
    if target.status == LoanTransaction.Status.REVERSED:
        line.status, line.transaction_id = Status.DUPLICATE, target.pk
        line.message = f"payment {target.pk} ({reference}) is already reversed"
        return
    reversal = payment_reverse(transaction=target, reason=line.parsed["reason"], actor=actor)
    line.status, line.transaction_id, line.message = Status.POSTED, reversal.pk, f"reversed payment {target.pk}"


def _return_target(loan: LoanAccount, reference: str) -> LoanTransaction | None:
    found = list(LoanTransaction.objects.filter(loan=loan, kind=LoanTransaction.Kind.PAYMENT, reference=reference)[:2])
    if len(found) > 1:
        raise PaymentError(f"several payments on {loan.loan_number} carry reference {reference}", "reference")
    return found[0] if found else None


def _payments_by_reference(
    rows: list[RowCheck], loans: dict[str, LoanAccount]
) -> dict[tuple[int, str], list[LoanTransaction]]:
    """The posted payments the return rows name, by (loan id, reference): one query for the chunk."""
    loan_ids = {loans[row.raw["loan_number"]].pk for row in rows if row.raw["loan_number"] in loans}
    if not loan_ids:
        return {}
    found: dict[tuple[int, str], list[LoanTransaction]] = {}
    for txn in LoanTransaction.objects.filter(
        loan_id__in=loan_ids, kind=LoanTransaction.Kind.PAYMENT, reference__in={row.raw["reference"] for row in rows}
    ):
        found.setdefault((txn.loan_id, txn.reference), []).append(txn)
    return found


def _unique_in_file(row: RowCheck, seen: dict[str, int], reference: str) -> None:
    first = seen.setdefault(reference, row.line_number)
    if first != row.line_number:
        row.error("reference", f"{reference} is repeated (first on line {first})")


def _already_posted(row: RowCheck, earlier: LoanTransaction | None, loan: LoanAccount) -> None:
    """A payment row whose key was already used: a duplicate of that posting, or an error if another loan's."""
    if earlier is None:
        return
    if earlier.loan_id != loan.pk:
        row.error("reference", _used_elsewhere(earlier))
    else:
        _mark_duplicate(row, earlier)


def _used_elsewhere(earlier: LoanTransaction) -> str:
    return f"already used for a payment on another loan (transaction {earlier.pk})"


def _mark_duplicate(row: RowCheck | ImportLine, earlier: LoanTransaction) -> None:
    row.status, row.transaction_id = Status.DUPLICATE, earlier.pk
    row.message = f"already posted as transaction {earlier.pk} on {earlier.effective_date}"


PAYMENT_FILE = PaymentFile()


def payment_import_stage(*, file_name: str, content: bytes | str, actor: User | None) -> ImportBatch:
    """Validate a payment file and stage it as a batch to preview; posts nothing (see the module docstring)."""
    return batch_stage(fmt=PAYMENT_FILE, file_name=file_name, content=content, actor=actor)


def payment_import_commit(*, batch: ImportBatch, actor: User | None, workers: int = 1) -> ImportBatch:
    """Post the staged batch's valid lines, each on its own; lines already posted show as duplicates.
    ``workers`` > 1 splits the loans between processes (PostgreSQL; the command line's ``--workers``)."""
    return batch_commit(fmt=PAYMENT_FILE, batch=batch, actor=actor, workers=workers)
