"""After closing: funded borrowers kept as past clients, the market rates a refinance is judged against, and the
follow-ups (anniversary check-in, refinance alert, paid-off follow-up) their loan officer owes them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from origination.models.choices import ProductKind
from origination.models.products import MONEY, RATE


class PastClient(models.Model):
    """A borrower whose loan funded. One per application; the loan's terms are read from its servicing account."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.PROTECT, related_name="past_loans")
    application = models.OneToOneField(
        "origination.Application", on_delete=models.PROTECT, related_name="crm_past_client"
    )
    loan = models.OneToOneField(
        "servicing.LoanAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="crm_past_client"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="crm_past_clients"
    )
    product_kind = models.CharField(max_length=16, choices=ProductKind.choices)
    funded_on = models.DateField(help_text="The anniversary check-in falls on this day each year.")
    paid_off_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-funded_on", "-id"]
        indexes = [models.Index(fields=["officer", "-funded_on"], name="crm_pastclient_officer_idx")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.application_id})"


class MarketRate(models.Model):
    """Today's market rate for a product kind and term (in payments), from its effective date until a newer row."""

    product_kind = models.CharField(max_length=16, choices=ProductKind.choices)
    term_periods = models.PositiveIntegerField(help_text="Number of scheduled payments (360 = 30 years monthly).")
    annual_rate = models.DecimalField(**RATE, help_text="Annual percent (6.125 = 6.125 %).")
    effective_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product_kind", "term_periods", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_kind", "term_periods", "effective_date"], name="crm_market_rate_unique"
            ),
            models.CheckConstraint(condition=Q(annual_rate__gte=0), name="crm_market_rate_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_product_kind_display()} {self.term_periods}: {self.annual_rate}% from {self.effective_date}"


class FollowUp(models.Model):
    """Something a loan officer owes a past client. ``key`` makes each one once: the anniversary once a year,
    a refinance alert once per market rate, the paid-off follow-up once."""

    class Kind(models.TextChoices):
        ANNIVERSARY = "anniversary", "Yearly check-in"
        REFINANCE = "refinance", "Refinance alert"
        PAID_OFF = "paid_off", "Loan paid off"

    past_client = models.ForeignKey(PastClient, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=40, help_text="The year, the market rate's id, or 'once'.")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="crm_follow_ups"
    )
    due_date = models.DateField()
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    market_rate = models.ForeignKey(MarketRate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    monthly_saving = models.DecimalField(**MONEY, null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["past_client", "kind", "key"], name="crm_follow_up_once"),
        ]
        indexes = [models.Index(fields=["officer", "due_date"], name="crm_follow_up_officer_idx")]

    def __str__(self) -> str:
        return self.title
