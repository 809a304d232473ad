"""What happened with a contact (the timeline) and what an officer must do next (tasks)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Activity(models.Model):
    """One entry on a contact's timeline. Entries written by the system (status updates, emails sent) carry a
    ``dedupe_key`` so a signal or job delivered twice writes one entry."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"
        STAGE = "stage", "Stage change"
        STATUS_UPDATE = "status_update", "Application status update"

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="activities")
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["contact", "-occurred_at"], name="crm_activity_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class Task(models.Model):
    """A follow-up an officer owes a lead. ``reminded_on`` makes the morning reminder idempotent."""

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="tasks")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crm_tasks")
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_date = models.DateField()
    remind = models.BooleanField(default=True, help_text="Email the officer the morning it is due.")
    reminded_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["due_date"], condition=Q(done_at__isnull=True), name="crm_task_open_due_idx"),
            models.Index(fields=["assigned_to", "due_date"], name="crm_task_officer_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title
