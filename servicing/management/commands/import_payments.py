"""Import a payment file (lockbox deposits, ACH returns) from the command line: the same staging and commit as
the admin import. Without ``--commit`` it is a dry run: every line is validated and reported, nothing is kept."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lending.core.models import User
from servicing.models import ImportBatch, ImportLine
from servicing.services.import_batches import ImportFileError
from servicing.services.imports import payment_import_commit, payment_import_stage


class _DryRun(Exception):
    """Raised to roll the staged batch back after reporting it."""


class Command(BaseCommand):
    help = "Validate a payment CSV and print each line's errors; with --commit, post the valid lines."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with a header row (see README: Servicer screens and imports).")
        parser.add_argument("--commit", action="store_true", help="Post the valid lines (default: dry run).")
        parser.add_argument("--user", help="Email of the user the postings are recorded as (default: system).")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes to commit with on PostgreSQL; each takes its share of the loans (default 1).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = self._actor(options.get("user"))
        try:
            if options["commit"]:
                self._commit(path, actor, max(1, options["workers"]))
            else:
                with transaction.atomic():
                    self._report(payment_import_stage(file_name=path.name, content=path.read_bytes(), actor=actor))
                    self.stdout.write("Dry run: nothing was saved. Add --commit to post the valid lines.")
                    transaction.set_rollback(True)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc

    def _actor(self, email: str | None) -> User | None:
        if not email:
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with email {email}")
        return user

    def _commit(self, path: Path, actor: User | None, workers: int) -> None:
        batch = payment_import_stage(file_name=path.name, content=path.read_bytes(), actor=actor)
        started = time.perf_counter()
        posting = batch.valid_count
        batch = payment_import_commit(batch=batch, actor=actor, workers=workers)
        elapsed = time.perf_counter() - started
        self._report(batch)
        rate = f" ({posting / elapsed:,.0f} lines/s)" if elapsed > 0 and posting else ""
        self.stdout.write(f"Batch {batch.pk} committed in {elapsed:.2f} s{rate}.")

    def _report(self, batch: ImportBatch) -> None:
        problems = batch.lines.filter(status=ImportLine.Status.ERROR).order_by("line_number")
        for line_number, message in problems.values_list("line_number", "message").iterator():
            self.stdout.write(f"line {line_number}: {message}")
        self.stdout.write(
            f"{batch.file_name}: {batch.line_count} lines: {batch.valid_count} valid, {batch.error_count} with errors, "
            f"{batch.duplicate_count} already posted, {batch.posted_count} posted."
        )
