"""Loss-mitigation plans a collector puts a delinquent loan on: a repayment plan, a forbearance and a modification.

While a plan is open (a repayment plan or forbearance ACTIVE, a modification in TRIAL) and kept, the nightly
delinquency step does not age the loan; the nightly ``plans`` step checks each plan payment on its due date and
breaks (fails) the plan when the payments fall short (``servicing.services.plans``, ``modification``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from servicing.models.documents import BorrowerDocument
from servicing.models.ledger import MONEY, JournalEntry
from servicing.models.loans import RATE, LoanAccount


class LoanModification(models.Model):
    """A modification of the loan's rate and term, the arrears capitalized, after a three-payment trial.

    PROPOSED (a collector or manager entered the terms) -> TRIAL (a manager approved: the agreement is made and
    three trial payments of ``trial_payment`` are due on the loan's next three due dates) -> PERMANENT (the
    three were paid on time: the arrears are capitalized and the schedule replaced) or FAILED (one was missed).
    A proposal may be CANCELLED (denied or withdrawn) before it is approved.
    The figures are projected at approval from the balances then; PERMANENT re-computes them from the balances on
    the last trial due date (what the trial payments paid is no longer owed) and stores those.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        TRIAL = "trial", "Trial period"
        PERMANENT = "permanent", "Permanent"
        FAILED = "failed", "Trial failed"
        CANCELLED = "cancelled", "Cancelled"

    TRIAL_PAYMENTS = 3

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="modifications")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    new_rate = models.DecimalField(**RATE, help_text="The modified note rate, annual percent.")
    term_periods = models.PositiveIntegerField(help_text="Installments of the modified schedule.")
    # Projected at proposal and approval; final when permanent.
    capitalized_interest = models.DecimalField(**MONEY, default=0)
    capitalized_escrow = models.DecimalField(**MONEY, default=0, help_text="Escrow advanced by the servicer.")
    new_principal = models.DecimalField(**MONEY, default=0)
    new_payment = models.DecimalField(**MONEY, default=0, help_text="Principal and interest of the new schedule.")
    escrow_payment = models.DecimalField(**MONEY, default=0)
    trial_payment = models.DecimalField(**MONEY, default=0, help_text="New principal and interest plus escrow.")
    trial_due_1 = models.DateField(null=True, blank=True)
    trial_due_2 = models.DateField(null=True, blank=True)
    trial_due_3 = models.DateField(null=True, blank=True, help_text="Also the modification's effective date.")
    trial_payments_made = models.PositiveSmallIntegerField(default=0)
    first_due_date = models.DateField(null=True, blank=True, help_text="First installment of the new schedule.")
    maturity_date = models.DateField(null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True, help_text="Made permanent, failed or cancelled on.")
    agreement = models.ForeignKey(BorrowerDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    journal_entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Capitalization."
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["loan_id", "-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(new_rate__gte=0), name="modification_rate_non_negative"),
            models.CheckConstraint(condition=Q(term_periods__gte=1), name="modification_term_positive"),
            models.CheckConstraint(condition=Q(trial_payments_made__lte=3), name="modification_trial_at_most_three"),
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status__in=("proposed", "trial")), name="modification_one_open_per_loan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.new_rate}% x {self.term_periods} ({self.status})"

    @property
    def trial_dates(self) -> list:
        return [d for d in (self.trial_due_1, self.trial_due_2, self.trial_due_3) if d is not None]


class RepaymentPlan(models.Model):
    """The arrears spread over ``months`` installments on top of the regular payment (``RepaymentPlanMonth``)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        BROKEN = "broken", "Broken"
        CANCELLED = "cancelled", "Cancelled"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="repayment_plans")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    arrears = models.DecimalField(**MONEY, help_text="Past due (principal, interest, escrow) when the plan began.")
    months = models.PositiveSmallIntegerField()
    starts_on = models.DateField(help_text="Payments from this day count toward the plan.")
    months_kept = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan_id", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(arrears__gt=0), name="repayment_plan_arrears_positive"),
            models.CheckConstraint(condition=Q(months__gte=2), name="repayment_plan_two_months_or_more"),
            models.CheckConstraint(condition=Q(months_kept__lte=F("months")), name="repayment_plan_kept_within"),
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status="active"), name="repayment_plan_one_active_per_loan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.arrears} over {self.months} ({self.status})"


class RepaymentPlanMonth(models.Model):
    """One month of a repayment plan: the regular installment due then and the plan's extra on top."""

    plan = models.ForeignKey(RepaymentPlan, on_delete=models.CASCADE, related_name="schedule")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    regular = models.DecimalField(**MONEY, help_text="The installment due that day (principal, interest, escrow).")
    extra = models.DecimalField(**MONEY, help_text="This month's share of the arrears.")

    class Meta:
        ordering = ["plan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="repayment_month_unique_number"),
            models.CheckConstraint(condition=Q(regular__gte=0, extra__gte=0), name="repayment_month_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.number} {self.due_date}"

    @property
    def total(self):
        return self.regular + self.extra


class Forbearance(models.Model):
    """Payments reduced to ``reduced_payment`` (0: suspended) for the ``months`` installments from ``first_due``.

    What was forborne (each installment's payment less the reduced one) stays owed on its installments: when the
    forbearance ends it is due at once (the loan ages from its oldest unpaid installment again), unless a
    repayment plan or a modification takes it over.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        BROKEN = "broken", "Broken"
        CANCELLED = "cancelled", "Cancelled"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="forbearances")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    first_due = models.DateField(help_text="Due date of the first forborne installment.")
    last_due = models.DateField(help_text="Due date of the last forborne installment.")
    months = models.PositiveSmallIntegerField()
    reduced_payment = models.DecimalField(**MONEY, help_text="Asked for each month instead (0: suspended).")
    forborne = models.DecimalField(**MONEY, default=0, help_text="What the months' installments ask beyond it.")
    starts_on = models.DateField(help_text="Payments from this day count toward the reduced payments.")
    months_kept = models.PositiveSmallIntegerField(default=0)
    next_check = models.DateField(null=True, blank=True, help_text="Due date of the next month to check.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan_id", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(reduced_payment__gte=0), name="forbearance_reduced_non_negative"),
            models.CheckConstraint(condition=Q(months__gte=1, months__lte=12), name="forbearance_one_to_twelve"),
            models.CheckConstraint(condition=Q(last_due__gte=F("first_due")), name="forbearance_dates_ordered"),
            models.CheckConstraint(condition=Q(months_kept__lte=F("months")), name="forbearance_kept_within"),
            models.UniqueConstraint(fields=["loan"], condition=Q(status="active"), name="forbearance_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.reduced_payment} x {self.months} from {self.first_due} ({self.status})"
