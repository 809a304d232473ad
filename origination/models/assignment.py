from django.conf import settings
from django.db import models


class AssignmentRotation(models.Model):
    """Where a round-robin assignment stands for one role: the member assigned last. Locked while choosing the
    next one, so concurrent assignments each get the next member in turn."""

    role = models.CharField(max_length=32, unique=True)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.role} rotation"
