"""Sign-in helpers: the username django-axes counts failed sign-ins under."""

from __future__ import annotations

from django.conf import settings


def axes_username(request, credentials: dict | None) -> str | None:
    """The email as the account is found (case-insensitively), so every spelling of one account shares one count.

    Without this, "PROBE@example.com" got five fresh tries after "probe@example.com" was locked.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", request.POST).get(field) if request is not None else None
    if raw is None:
        return None
    return str(raw).strip().lower()
