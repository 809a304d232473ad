"""Nurturing campaigns: drip sequences of email steps, who is enrolled in each, and every email sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Campaign(models.Model):
    """A drip sequence. Contacts join by hand or by the campaign's rule (checked by the scheduled dispatch)."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", "By hand only"
        NEW_LEAD = "new_lead", "A new lead from a source"
        STALE_LEAD = "stale_lead", "An open lead with no activity for N days"
        PAST_CLIENT = "past_client", "A past client"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False, help_text="Only a running campaign enrolls and sends.")
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    source = models.ForeignKey(
        "crm.LeadSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="New leads from this source join (rule: a new lead from a source).",
    )
    stale_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Open leads without activity for this many days join (rule: stale lead)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="new_lead") | Q(source__isnull=False), name="crm_campaign_new_lead_source"
            ),
            models.CheckConstraint(
                condition=~Q(trigger="stale_lead") | Q(stale_days__gte=1), name="crm_campaign_stale_days"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignStep(models.Model):
    """One email of the sequence, sent ``delay_days`` after the previous step (the first: after enrollment).
    Subject and body are Django templates over the contact's name only (crm.services.campaign_templates)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    delay_days = models.PositiveIntegerField(default=0)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="crm_campaign_step_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} step {self.position}"


class Enrollment(models.Model):
    """A contact in a campaign, at most once. ``stopped_at``: no further steps (unsubscribed, bounced, by hand)."""

    class Via(models.TextChoices):
        MANUAL = "manual", "By hand"
        RULE = "rule", "By the campaign's rule"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="enrollments")
    via = models.CharField(max_length=8, choices=Via.choices)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="crm_enrollment_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "enrolled_at"], condition=Q(stopped_at__isnull=True), name="crm_enr_due"),
            # A campaign's enrollment counts (active, by stop reason) from the index alone.
            models.Index(fields=["campaign", "stop_reason"], include=["stopped_at"], name="crm_enr_counts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.campaign_id}"


class CampaignSend(models.Model):
    """One step's email to one enrollment: claimed (queued) by the dispatch, then sent by a chunk task. The unique
    (enrollment, step) key means a step is never sent twice to the same enrollment, however often jobs run."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        BOUNCED = "bounced", "Bounced"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="sends")
    step = models.ForeignKey(CampaignStep, on_delete=models.PROTECT, related_name="sends")
    # The step's campaign, copied when the step is claimed: a campaign's sends newest first, and its counts per
    # step, read from one index each (through the step, every send of every campaign was joined and sorted).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="sends", editable=False, db_index=False
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    to_email = models.EmailField(blank=True, help_text="The address it went to (taken when the step is claimed).")
    skip_reason = models.CharField(max_length=40, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step"], name="crm_send_once_per_step"),
        ]
        indexes = [
            models.Index(fields=["campaign", "step", "status"], name="crm_send_campaign_step_idx"),
            models.Index(fields=["campaign", "-queued_at", "-id"], name="crm_send_campaign_recent_idx"),
            models.Index(fields=["-queued_at", "-id"], name="crm_send_recent_idx"),
            # The dispatch's queued rows (fresh or stranded): few, whatever the number of sends.
            models.Index(fields=["queued_at"], condition=Q(status="queued"), name="crm_send_queued_idx"),
            models.Index(fields=["to_email", "-sent_at"], name="crm_send_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.step} to {self.to_email or self.enrollment_id}"
