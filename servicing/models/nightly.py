"""The close of business as rows: a run per business date, a row per step of it, and a row per loan a step failed.

The jobs page and the ``run_nightly`` command read these; the runner (``servicing.services.nightly.runner``) writes
them. Progress is counted per chunk with ``F()`` increments in the chunk's own transaction, so the counts are exact
even when a worker dies mid-step (its chunk rolls back with its count).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class NightlyStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


FINISHED = (NightlyStatus.COMPLETED, NightlyStatus.FAILED)


class NightlyRun(models.Model):
    """The close of business for one business date. Rerunning the date reuses this row."""

    class Trigger(models.TextChoices):
        BEAT = "beat", "Schedule (Celery beat)"
        COMMAND = "command", "Command (run_nightly)"
        STAFF = "staff", "Staff (jobs page)"

    business_date = models.DateField(unique=True)
    status = models.CharField(max_length=16, choices=NightlyStatus.choices, default=NightlyStatus.PENDING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched at every step and chunk: a "running" run without progress for NIGHTLY_STALE_AFTER was killed.
    heartbeat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"Close of business {self.business_date:%Y-%m-%d}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def duration(self) -> timedelta | None:  # the last attempt's wall time
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class NightlyStepRun(models.Model):
    """One step of a run. ``done`` counts loans over every attempt (a rerun adds only the loans left), ``total`` is
    ``done`` plus the loans pending when the last attempt began; errors belong to the last attempt."""

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=32)
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=NightlyStatus.choices, default=NightlyStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    attempt_pending = models.PositiveIntegerField(
        default=0, help_text="Loans pending when the last attempt began: what it had to do."
    )
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why the step itself failed (not one loan), if it did.")
    # Raised each time the step begins: a chunk or callback of an earlier attempt (its run killed and started again,
    # then the old message redelivered) finds a newer number and does nothing.
    attempt = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="nightly_step_unique_per_run")]

    def __str__(self) -> str:
        return f"{self.label} for {self.run.business_date:%Y-%m-%d}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def done_this_attempt(self) -> int:
        """Loans the last attempt did (a rerun of a finished date does none: its loans were done before)."""
        return max(0, self.done - (self.total - self.attempt_pending))

    @property
    def counts_label(self) -> str:
        """``12,345 of 100,000``: loans done of total (a count, so not the money filter); after a rerun, how many of
        them the rerun did: ``100,000 of 100,000 (0 new)``."""
        return f"{self.done:,} of {self.total:,}{self.new_label}"

    @property
    def new_label(self) -> str:
        """`` (0 new)`` after a rerun (the loans the last attempt did); empty for a first attempt."""
        return f" ({self.done_this_attempt:,} new)" if self.attempt > 1 else ""

    @property
    def errors_label(self) -> str:
        return f"{self.error_count:,}"

    @property
    def percent(self) -> int:
        """Loans handled (done or failed) of total, in whole percent, for progress bars."""
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, (self.done + self.error_count) * 100 // self.total)


class NightlyLoanError(models.Model):
    """A loan a step could not do: the loan stays pending for that step, so a rerun retries it."""

    step = models.ForeignKey(NightlyStepRun, on_delete=models.CASCADE, related_name="errors")
    loan = models.ForeignKey("servicing.LoanAccount", on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step_id", "loan_id"]

    def __str__(self) -> str:
        return f"{self.step}: loan {self.loan_id}: {self.message[:60]}"
