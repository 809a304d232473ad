"""People the lender talks to, and the leads they become."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.models.partners import ReferralPartner
from origination.models.choices import Purpose
from origination.models.products import MONEY


class ConsentSource(models.TextChoices):
    CONTACT_FORM = "contact_form", "Public contact form"
    MANUAL = "manual", "Entered by staff"
    IMPORT = "import", "CSV import"
    APPLICATION = "application", "Loan application"


class Contact(models.Model):
    """One person, however many times they reach us. Email and phone are kept normalized beside what was typed,
    so a second enquiry, an import row or a referral merges into the same person (partial unique constraints)."""

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, help_text="Lower-cased email: the dedupe key.")
    phone = models.CharField(max_length=32, blank=True)
    phone_normalized = models.CharField(max_length=15, blank=True, help_text="Digits only (E.164 without +).")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_contacts",
        help_text="The borrower's portal account, once the lead converts.",
    )
    # TCPA / CAN-SPAM: when and how the person agreed to be contacted.
    consent_to_contact = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=16, choices=ConsentSource.choices, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, help_text="Never emailed by campaigns again.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email_normalized"], condition=~Q(email_normalized=""), name="crm_contact_email_unique"
            ),
            models.UniqueConstraint(
                fields=["phone_normalized"], condition=~Q(phone_normalized=""), name="crm_contact_phone_unique"
            ),
            models.CheckConstraint(
                condition=~Q(email_normalized="") | ~Q(phone_normalized=""), name="crm_contact_reachable"
            ),
            models.CheckConstraint(
                condition=Q(consent_to_contact=False) | Q(consent_at__isnull=False), name="crm_contact_consent_dated"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadSource(models.Model):
    """Where leads come from (website form, import, referral, a campaign's landing page). A source may name the
    officer its leads go to: assignment by rule; otherwise officers take turns."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Leads from this source go to this officer; blank: round robin.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    APPLICATION = "application", "Application"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Lead(models.Model):
    """One opportunity to lend to a contact. Its stage moves only through crm.services.leads; once converted it
    keeps the link to the application, whose referral this lead records."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="leads")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.NEW)
    lost_reason = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="leads")
    campaign_code = models.CharField(max_length=40, blank=True, help_text="utm_campaign or a mailing's code.")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="crm_leads"
    )
    referral_partner = models.ForeignKey(
        ReferralPartner, null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    application = models.OneToOneField(
        "origination.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="crm_lead"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices, blank=True)
    amount_requested = models.DecimalField(**MONEY, null=True, blank=True)
    message = models.TextField(blank=True, help_text="What the person wrote to us.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    first_contacted_at = models.DateTimeField(null=True, blank=True, help_text="Speed to first contact.")
    converted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was won or lost.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The board's columns and the list, for one officer and for the manager (newest first). The id too: in
            # the board's order, so the prepared statement's generic plan (one for every stage) reads a column's 20
            # cards off it; without it that plan walked crm_lead_newest_idx, every lead for an empty stage (50-100 ms
            # a column at 200,000 leads).
            models.Index(fields=["officer", "stage", "-created_at", "-id"], name="crm_lead_officer_stage_idx"),
            models.Index(fields=["officer", "-created_at"], name="crm_lead_officer_newest_idx"),
            models.Index(fields=["stage", "-created_at", "-id"], name="crm_lead_stage_idx"),
            models.Index(fields=["-created_at", "-id"], name="crm_lead_newest_idx"),
            models.Index(fields=["source", "created_at"], name="crm_lead_source_idx"),
            # The pipeline report's funnel: the period's leads that have an application (their funding joined),
            # read from the index alone; the others are counted from the kept day counts (LeadDayCount).
            models.Index(
                fields=["created_at"],
                name="crm_lead_applied_idx",
                include=["source", "referral_partner", "application"],
                condition=Q(application__isnull=False),
            ),
            # The dashboard's median speed to first contact: its middle rows in speed order, no sort of them all,
            # read from the index alone (its times and officer included: a heap visit per row was most of its cost).
            models.Index(
                models.F("first_contacted_at") - models.F("created_at"),
                name="crm_lead_speed_idx",
                condition=Q(first_contacted_at__isnull=False),
                include=["first_contacted_at", "created_at", "officer"],
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="crm_lead_stage_valid"),
            models.CheckConstraint(condition=~Q(stage=Stage.LOST) | ~Q(lost_reason=""), name="crm_lead_lost_reason"),
            models.CheckConstraint(
                condition=~Q(stage__in=[Stage.APPLICATION, Stage.WON]) | Q(application__isnull=False),
                name="crm_lead_application_linked",
            ),
            models.CheckConstraint(
                condition=Q(amount_requested__isnull=True) | Q(amount_requested__gt=0),
                name="crm_lead_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Lead #{self.pk} {self.contact}"


class LeadDayCount(models.Model):
    """Changes to the number of leads per (day they came in, officer, source, referral partner, stage, has an
    application, has been contacted): the board's column totals and the dashboard's counts add up these rows instead
    of counting 200,000 leads on each visit.

    Kept by the database (PostgreSQL): triggers on ``crm_lead`` (migration 0010) add, for each statement that
    inserts, updates or deletes leads, one row per key whose count it changed (a lead moved on: one row out of its
    old stage, one into the new), in the statement's transaction; never an update of a shared row.
    ``lead_counts_compact`` merges each key's rows nightly; ``manage.py lead_counts`` proves and rebuilds them.
    ``day`` is the UTC date of the lead's arrival: a period's partial first and last days are counted from the leads.
    """

    day = models.DateField()
    officer = models.BigIntegerField(null=True)  # ids, not foreign keys: counts never hold up a delete
    source = models.BigIntegerField()
    partner = models.BigIntegerField(null=True)
    stage = models.CharField(max_length=20)
    applied = models.BooleanField()
    reached = models.BooleanField()
    leads = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="crm_lead_day_count_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.stage}: {self.leads}"


class LeadRotation(models.Model):
    """Where the round robin of new leads stands: the officer given the last lead. Locked while choosing the next."""

    key = models.CharField(max_length=32, unique=True, default="leads")
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} rotation"
