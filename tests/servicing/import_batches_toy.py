"""A small format for the rules of the shared import mechanism (``import_batches``): no loan is needed to stage or
commit it, and what a line does at commit is written in its reference.

Columns: ``ref`` and ``amount`` (required), ``loan`` (a loan id, for the shares) and ``note``. A reference repeated
in the file is a duplicate of its first line. At commit a line posts, unless its reference starts with ``refuse``
(a ``ValueError`` with a message), ``mute`` (a ``ValueError`` without one), ``db`` (a ``DatabaseError``) or, while
``hold`` is set, ``wait`` (left valid: a later commit posts it). A posted line's message says which process posted
it and for which actor, so a test sees where and for whom each line was committed."""

from __future__ import annotations

import os
from typing import Any

from django.db import DatabaseError

from lending.core.models import User
from servicing.models import ImportBatch, ImportLine
from servicing.services.import_batches import ImportFormat, RowCheck, parse_money, parse_text

Status = ImportLine.Status


def posted_message(actor: User | None, pid: int | None = None) -> str:
    return f"posted in {pid or os.getpid()} for {actor.pk if actor is not None else None}"


class ToyFile(ImportFormat):
    kind = ImportBatch.Kind.PAYMENT
    required_columns = ("ref", "amount")
    optional_columns = ("loan", "note")
    chunk_size = 2

    def __init__(self, *, hold: bool = False) -> None:
        self.hold = hold
        self.checked: list[list[int]] = []  # the line numbers of each chunk check_rows was given
        self.contexts: list[list[int]] = []  # the line numbers of each chunk commit_context was given
        self.committed: list[int] = []  # the line numbers commit_line was given, in order

    def check_rows(self, rows: list[RowCheck], state: dict[str, Any]) -> None:
        self.checked.append([row.line_number for row in rows])
        first = state.setdefault("refs", {})
        for row in rows:
            ref = parse_text(row, "ref")
            amount = parse_money(row, "amount", required=False)
            row.parsed = {"ref": ref} if amount is None else {"ref": ref, "amount": str(amount)}
            if row.raw.get("loan"):
                row.loan_id = int(row.raw["loan"])
            if ref is not None and first.setdefault(ref, row.line_number) != row.line_number:
                row.status, row.message = Status.DUPLICATE, f"{ref} is line {first[ref]}'s"

    def commit_context(self, lines: list[ImportLine]) -> list[int]:
        numbers = [line.line_number for line in lines]
        self.contexts.append(numbers)
        return numbers

    def commit_line(self, line: ImportLine, context: Any, actor: User | None) -> None:
        assert line.line_number in context
        self.committed.append(line.line_number)
        ref = line.parsed["ref"]
        if ref.startswith("refuse"):
            raise ValueError(f"{ref} is refused")
        if ref.startswith("mute"):
            raise ValueError
        if ref.startswith("db"):
            raise DatabaseError(f"{ref}: the database failed")
        if ref.startswith("wait") and self.hold:
            return
        line.status, line.message = Status.POSTED, posted_message(actor)


class ToyBatchFile(ToyFile):
    """Posts a whole chunk at once (``commit_lines``); a chunk holding a ``db`` line posts its first line, then
    fails as a database error would, so the chunk goes one line at a time."""

    def commit_lines(self, lines: list[ImportLine], context: Any, actor: User | None) -> bool:
        if any(line.parsed["ref"].startswith("db") for line in lines):
            lines[0].status, lines[0].message = Status.POSTED, "half done"
            raise DatabaseError("the chunk failed")
        for line in lines:
            line.status, line.message = Status.POSTED, f"in a chunk of {len(lines)}"
        return True
