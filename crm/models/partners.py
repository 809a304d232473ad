"""Who sends us borrowers: real-estate agents, builders and past clients."""

from django.db import models
from django.utils import timezone


class ReferralPartner(models.Model):
    class Kind(models.TextChoices):
        AGENT = "agent", "Real-estate agent"
        BUILDER = "builder", "Builder"
        PAST_CLIENT = "past_client", "Past client"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="Where milestone updates go (agents).")
    phone = models.CharField(max_length=32, blank=True)
    contact = models.OneToOneField(
        "crm.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partner",
        help_text="The past client (or any partner we also keep as a contact).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["agent", "builder", "past_client"]), name="crm_partner_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="past_client") | models.Q(contact__isnull=False),
                name="crm_partner_past_client_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name
