"""The collections dashboard's closed months, kept (``servicing.selectors.collections_dashboard``).

A closed month's roll rates come from every delinquency-history row up to its end; recounting them on each view
made the dashboard's cost grow with the history. They are counted once per (last month end, months shown) and
kept with the per-loan buckets at that last month end and each loan's latest move since (kept moving by a trigger
on the history, migration 0042), so a view counts the current month from those rows and this month's payoffs and
charge-offs. Closed months change only when something is dated back into them (a nightly rerun for a
past date, a back-dated payoff or charge-off): PostgreSQL triggers (migration 0037) then add one to
``RollRateRestatement.version``, and a snapshot counted at an older version is counted again.
"""

from __future__ import annotations

from django.db import models


class RollRateRestatement(models.Model):
    """One row: how many times a change dated into a closed month has restated the roll rates."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"roll rates restated {self.version} times"


class RollRateSnapshot(models.Model):
    """The roll counts of the closed months up to ``month_end``: ``counts`` holds [month index, bucket at the
    month before's end, bucket at the month's end, loans] as ``roll_rates`` numbers the months."""

    month_end = models.DateField()
    months = models.PositiveSmallIntegerField()
    version = models.PositiveBigIntegerField()
    counts = models.JSONField()
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month_end", "months", "version"], name="roll_rate_snapshot_one_per_end"),
        ]

    def __str__(self) -> str:
        return f"roll rates to {self.month_end} ({self.months} months, version {self.version})"


class RollRateSnapshotLoan(models.Model):
    """A loan in a bucket that can roll (1-29 ... 90-119) at a snapshot's ``month_end``: the current month's
    starting point, and where the month has taken it so far: ``latest_bucket`` is the bucket its latest
    delinquency-history row after ``month_end`` moved it to (``bucket`` while it has none), ``latest_on`` that row's
    date (a loan has one row a night at most). Counted when kept, then moved on by a PostgreSQL trigger on every history
    row added (migration 0043_roll_rate_snapshot_latest), so a view groups these rows instead of merging them with
    the month's history."""

    month_end = models.DateField()
    version = models.PositiveBigIntegerField()
    loan_id = models.BigIntegerField()
    bucket = models.CharField(max_length=8)
    latest_bucket = models.CharField(max_length=8)
    latest_on = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["month_end", "version"], name="roll_rate_snapshot_loan_idx"),
            models.Index(fields=["loan_id"], name="roll_rate_snapshot_loan_id_idx"),  # the trigger's update
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} at {self.month_end}: {self.bucket}"
