"""Encrypted model fields for personal data (SSNs): Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The keys come from FIELD_ENCRYPTION_KEYS (Fernet keys, newest first), never from SECRET_KEY: rotating SECRET_KEY
must not make stored values unreadable. Settings refuse to start without them when DEBUG is off.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypedDict

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecimalSpec(TypedDict):
    """`max_digits` and `decimal_places` of a DecimalField, typed so `**MONEY` type-checks."""

    max_digits: int
    decimal_places: int


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: encrypted fields need at least one Fernet key")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def cipher() -> MultiFernet:
    return _fernet(tuple(getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) or ()))


def encrypt_text(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with the configured FIELD_ENCRYPTION_KEYS"
        ) from exc


class EncryptedTextField(models.TextField):
    """Stores ciphertext; Python code sees plaintext. Not searchable: keep a separate non-secret lookup column."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)
