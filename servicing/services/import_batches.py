"""The one staging mechanism behind every CSV import: read, validate per line, keep the rows, then commit.

A file is read whole, its header checked against the format's columns, and its rows validated in chunks (each
chunk's lookups are set-based: one query per chunk, never per line). Every row is kept as an ``ImportLine`` with
its status and all its errors at once, so the preview is the batch itself. Committing posts each valid line in its
own transaction through the format's service (a failing line is recorded on that line and undoes nothing else);
line statuses are written back in bulk per chunk. A format (payments, boarding) supplies only the columns, the
per-chunk validation and the per-line posting; see ``ImportFormat``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Count
from django.db.models.functions import Mod
from django.utils import timezone

from lending.core.bulk import bulk_insert_rows, bulk_update_rows
from lending.core.collector import collector_paused
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO, require_cents
from servicing.models import ImportBatch, ImportLine

MAX_LINES = 100_000
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONEY_LIMIT = Decimal("1E12")  # 14 digits, 2 of them cents
Status = ImportLine.Status


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not UTF-8 CSV, no header, missing or unknown columns); nothing staged."""


@dataclass
class RowCheck:
    """The validation of one row: the fields it parsed to, every error found, and what it refers to."""

    line_number: int
    raw: dict[str, str]
    parsed: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    status: str = Status.VALID
    message: str = ""
    loan_id: int | None = None
    transaction_id: int | None = None

    def error(self, column: str, message: str) -> None:
        self.errors.append(f"{column}: {message}")

    def line(self, batch_pk: int) -> StagedLine:
        """The row as its ``ImportLine``: a row in error keeps every error as its message and no parsed fields."""
        status, message = self.status, self.message
        if self.errors:
            status, message = Status.ERROR, "; ".join(self.errors)
        parsed = self.parsed if status != Status.ERROR else {}
        return StagedLine(
            batch_pk, self.line_number, self.raw, parsed, status, message, self.loan_id, self.transaction_id
        )


class StagedLine(NamedTuple):
    """An ``ImportLine`` as the row ``bulk_insert_rows`` writes (its fields in ``LINE_FIELDS`` order)."""

    batch: int
    line_number: int
    raw: dict[str, str]
    parsed: dict[str, Any]
    status: str
    message: str
    loan: int | None
    transaction: int | None


LINE_FIELDS = StagedLine._fields


class ImportFormat:
    """What a kind of file adds to the shared mechanism. Subclasses set the columns and implement two methods:

    - ``check_rows(rows, state)``: validate a chunk of ``RowCheck`` (fill ``parsed``, ``errors``, or mark a row
      ``duplicate`` with a message), with set-based lookups; ``state`` is a dict kept across the chunks of one file
      (for duplicates within the file).
    - ``commit_context(lines)``: set-based lookups for a chunk of valid lines about to be posted (loans, postings
      already made), one query each;
    - ``commit_line(line, context, actor)``: post one line through its service (its own atomic unit), setting the
      line's ``status``, ``message``, ``loan_id``, ``transaction_id``. A ``ValueError`` (the services' refusals) or
      a database error raised for the line is recorded on it by the caller.
    """

    kind: str = ""
    amount_field = "amount"  # the parsed field the batch's totals add up
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    chunk_size = 500

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns

    def check_rows(self, rows: list[RowCheck], state: dict[str, Any]) -> None:
        raise NotImplementedError

    def commit_context(self, lines: list[ImportLine]) -> Any:
        raise NotImplementedError

    def commit_lines(self, lines: list[ImportLine], context: Any, actor: User | None) -> bool:
        """Commit a whole chunk at once if the format can (True), or leave it to ``commit_line`` (False)."""
        return False

    def commit_line(self, line: ImportLine, context: Any, actor: User | None) -> None:
        raise NotImplementedError


# --- reading the file ------------------------------------------------------------------------------------------


def _decode(content: bytes | str) -> tuple[str, str]:
    data = content.encode() if isinstance(content, str) else bytes(content)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file is not UTF-8 text (byte {exc.start}).") from None
    return text, hashlib.sha256(data).hexdigest()


def _header(reader: Iterator[list[str]], fmt: ImportFormat) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty: a header row is required.") from None
    header = [name.strip().lower() for name in header]
    missing = [name for name in fmt.required_columns if name not in header]
    unknown = [name for name in header if name not in fmt.columns]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(repr(n) for n in unknown)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise ImportFileError(f"Header row: {'; '.join(problems)}. Expected columns: {', '.join(fmt.columns)}.")
    return header


def read_rows(text: str, fmt: ImportFormat) -> list[RowCheck]:
    """The file's data rows as ``RowCheck`` (blank rows skipped); a row with too many values is already in error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _header(reader, fmt)
        rows: list[RowCheck] = []
        first_line = reader.line_num + 1  # a row is numbered by its first line (a quoted value may span lines)
        for values in reader:
            line_number, first_line = first_line, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_LINES:
                raise ImportFileError(f"The file has more than {MAX_LINES} rows: split it.")
            raw = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
            row = RowCheck(line_number=line_number, raw=_without_nul(raw))
            if len(values) > len(header):
                row.error("row", f"{len(values)} values for {len(header)} columns")
            if raw != row.raw:
                row.error("row", "holds a NUL character (shown as \N{REPLACEMENT CHARACTER})")
            rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num}: not valid CSV ({exc}).") from None
    if not rows:
        raise ImportFileError("The file has a header but no data rows.")
    return rows


def _without_nul(raw: dict[str, str]) -> dict[str, str]:
    """The row with each NUL shown as U+FFFD: PostgreSQL stores no NUL in text or jsonb (a DataError)."""
    return {name: value.replace("\x00", "\ufffd") for name, value in raw.items()}


def _chunks(items: list[RowCheck], size: int) -> Iterator[list[RowCheck]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- staging and committing ------------------------------------------------------------------------------------


def batch_stage(*, fmt: ImportFormat, file_name: str, content: bytes | str, actor: User | None) -> ImportBatch:
    """Read and validate the file and keep every row as a line of a new ``staged`` batch (nothing is posted).
    ``ImportFileError`` when the file as a whole is unreadable; row problems are reported on their lines."""
    with transaction.atomic():  # in the body, not as a decorator: mutmut mutates no decorated function
        text, digest = _decode(content)
        rows = read_rows(text, fmt)
        batch = ImportBatch.objects.create(
            kind=fmt.kind,
            file_name=(file_name or "upload.csv").replace("\x00", "")[:255],
            sha256=digest,
            uploaded_by=actor if actor is not None and actor.pk else None,
            line_count=len(rows),
        )
        state: dict[str, Any] = {}
        lines: list[StagedLine] = []
        for chunk in _chunks(rows, fmt.chunk_size):
            fmt.check_rows([row for row in chunk if not row.errors], state)
            created = [row.line(batch.pk) for row in chunk]
            # Rows as arrays, not instances through bulk_create: its 4,000 parameters a chunk cost more than the checks.
            bulk_insert_rows(ImportLine, LINE_FIELDS, created)
            lines += created
        _set_counts(batch, Counter(line.status for line in lines))
        batch.valid_total = _total(fmt, [line.parsed for line in lines if line.status == Status.VALID])
        batch.save(update_fields=["valid_count", "error_count", "posted_count", "duplicate_count", "valid_total"])
        audit_record(
            actor=actor,
            verb="import.staged",
            target=batch,
            after={"kind": batch.kind, "file_name": batch.file_name, "sha256": digest, **_counts(batch)},
        )
        return batch


def batch_commit(*, fmt: ImportFormat, batch: ImportBatch, actor: User | None, workers: int = 1) -> ImportBatch:
    """Post every ``valid`` line of ``batch``, in file order, each standing alone (not atomic as a whole: a
    failing line is recorded as an error on that line and the others stand). Rerunning it (or running it twice
    at once) posts nothing twice: only lines still ``valid`` are taken, and the services are idempotent.
    ``workers`` > 1 (PostgreSQL, outside a transaction) splits the loans between that many processes."""
    if batch.kind != fmt.kind:
        raise ImportFileError(f"Batch {batch.pk} is a {batch.get_kind_display()} batch, not {fmt.kind}.")
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        posted = _commit_in_parallel(fmt, batch, actor, workers)
    else:
        posted = _commit_share(fmt, batch, actor)
    return _batch_close(batch=batch, actor=actor, posted=posted)


def _commit_share(
    fmt: ImportFormat, batch: ImportBatch, actor: User | None, share: int = 0, shares: int = 1
) -> Decimal:
    """Commit the valid lines of the loans in this share (loan id modulo ``shares``), chunk by chunk in file
    order; the amount posted. Every line of a loan is in the same share, so a loan's lines keep their order."""
    last, posted = 0, ZERO
    valid = ImportLine.objects.filter(batch=batch, status=Status.VALID).defer("raw")  # the row as read: not needed
    if shares > 1:
        valid = valid.alias(share=Mod("loan_id", shares)).filter(share=share)
    # The collector paused for the whole share: a file's rows and instances make no cycles (a 5,000-line commit left
    # none to collect), and a full collection between chunks walked the whole heap again.
    with collector_paused():
        while True:
            lines = list(valid.filter(line_number__gt=last).order_by("line_number")[: fmt.chunk_size])
            if not lines:
                break
            last = lines[-1].line_number
            _commit_chunk(fmt, lines, actor)
            posted += _total(fmt, [line.parsed for line in lines if line.status == Status.POSTED])
    return posted


def _commit_in_parallel(fmt: ImportFormat, batch: ImportBatch, actor: User | None, workers: int) -> Decimal:
    """The shares committed by ``workers`` forked processes, each on its own database connection (loans never
    cross shares, so the processes never wait on each other's loan locks)."""
    connections.close_all()  # a forked child must not reuse the parent's socket
    jobs = [(type(fmt), batch.pk, actor.pk if actor is not None else None, share, workers) for share in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        totals = pool.starmap(_commit_share_in_child, jobs)
    return sum((Decimal(total) for total in totals), ZERO)


def _commit_share_in_child(
    fmt_class: type[ImportFormat], batch_pk: int, actor_pk: int | None, share: int, shares: int
) -> str:
    connections.close_all()
    try:
        batch = ImportBatch.objects.get(pk=batch_pk)
        actor = User.objects.get(pk=actor_pk) if actor_pk is not None else None
        return str(_commit_share(fmt_class(), batch, actor, share, shares))
    finally:
        connections.close_all()


def _commit_chunk(fmt: ImportFormat, lines: list[ImportLine], actor: User | None) -> None:
    context = fmt.commit_context(lines)
    if _commit_as_batch(fmt, lines, context, actor):
        bulk_update_rows(ImportLine, lines, ["status", "message", "loan", "transaction"])
        return
    for line in lines:
        try:
            fmt.commit_line(line, context, actor)
        except (ValueError, DatabaseError) as exc:
            # The service refused or failed and rolled its own transaction back: record it, go on with the rest.
            line.status, line.message = Status.ERROR, str(exc) or exc.__class__.__name__
    bulk_update_rows(ImportLine, lines, ["status", "message", "loan", "transaction"])


def _commit_as_batch(fmt: ImportFormat, lines: list[ImportLine], context: Any, actor: User | None) -> bool:
    """Let a format that can post a whole chunk at once do so; on a database failure (the batch rolled back)
    the chunk goes one line at a time, so one bad line cannot stop the others."""
    try:
        return fmt.commit_lines(lines, context, actor)
    except DatabaseError:
        for line in lines:
            line.status, line.message = Status.VALID, ""
        return False


def _batch_close(*, batch: ImportBatch, actor: User | None, posted: Decimal) -> ImportBatch:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        before = _counts(batch)
        _set_counts(batch, dict(ImportLine.objects.filter(batch=batch).values_list("status").annotate(n=Count("id"))))
        batch.posted_total += posted
        batch.status = ImportBatch.Status.COMMITTED
        batch.committed_by = actor if actor is not None and actor.pk else None
        batch.committed_at = timezone.now()
        batch.save()
        audit_record(actor=actor, verb="import.committed", target=batch, before=before, after=_counts(batch))
        return batch


def _total(fmt: ImportFormat, parsed: list[dict[str, Any]]) -> Decimal:
    """The amounts of lines' parsed fields, added up."""
    return sum((Decimal(fields.get(fmt.amount_field) or 0) for fields in parsed), ZERO)


def _set_counts(batch: ImportBatch, counts: Mapping[str, int]) -> None:
    batch.valid_count = counts.get(Status.VALID, 0)
    batch.error_count = counts.get(Status.ERROR, 0)
    batch.posted_count = counts.get(Status.POSTED, 0)
    batch.duplicate_count = counts.get(Status.DUPLICATE, 0)


def _counts(batch: ImportBatch) -> dict[str, int | str]:
    return {
        "lines": batch.line_count,
        "valid": batch.valid_count,
        "errors": batch.error_count,
        "posted": batch.posted_count,
        "duplicates": batch.duplicate_count,
        "valid_total": str(batch.valid_total),
        "posted_total": str(batch.posted_total),
    }


# --- field parsers shared by the formats: each records its error on the row and returns None ---------------


def parse_text(row: RowCheck, column: str, *, required: bool = True, max_length: int = 200) -> str | None:
    value = row.raw.get(column, "")
    if not value:
        if required:
            row.error(column, "required")
        return None
    if len(value) > max_length:
        row.error(column, f"at most {max_length} characters")
        return None
    return value


def parse_money(row: RowCheck, column: str, *, required: bool = True, positive: bool = False) -> Decimal | None:
    """A plain decimal amount in whole cents ("1234.56"; no currency sign or thousands separator)."""
    value = parse_text(row, column, required=required, max_length=20)
    if value is None:
        return None
    if not _AMOUNT.fullmatch(value):
        row.error(column, f"{value!r} is not an amount (write it like 1234.56)")
        return None
    try:
        amount = require_cents(value, column)
    except ValueError:
        row.error(column, f"{value} has fractions of a cent")
        return None
    if abs(amount) >= _MONEY_LIMIT:
        row.error(column, f"{value} is too large")
        return None
    if positive and amount <= 0:
        row.error(column, f"must be greater than zero, got {value}")
        return None
    return amount


def parse_decimal(row: RowCheck, column: str, *, required: bool = True, low: Decimal = Decimal(0)) -> Decimal | None:
    value = parse_text(row, column, required=required, max_length=20)
    if value is None:
        return None
    if not _AMOUNT.fullmatch(value) or Decimal(value) < low:
        row.error(column, f"{value!r} is not a number of at least {low}")
        return None
    return Decimal(value)


def parse_int(row: RowCheck, column: str, *, required: bool = True, low: int = 0, high: int = 10_000) -> int | None:
    value = parse_text(row, column, required=required, max_length=10)
    if value is None:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        row.error(column, f"{value!r} is not a whole number between {low} and {high}")
        return None
    return int(value)


def parse_date(row: RowCheck, column: str, *, required: bool = True) -> date | None:
    value = parse_text(row, column, required=required, max_length=10)
    if value is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        row.error(column, f"{value!r} is not a date (YYYY-MM-DD)")
        return None


def parse_choice(row: RowCheck, column: str, choices: Collection[str], *, default: str | None = None) -> str | None:
    value = row.raw.get(column, "").lower()
    if not value:
        if default is None:
            row.error(column, "required")
        return default
    if value not in choices:
        row.error(column, f"unknown {value!r}; use one of {', '.join(choices)}")
        return None
    return value
