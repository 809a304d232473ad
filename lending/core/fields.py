"""Encrypted model fields for personal data (SSNs): Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key comes from FIELD_ENCRYPTION_KEY (a Fernet key); without it one is derived from SECRET_KEY, which is
fine for development but means rotating SECRET_KEY makes stored values unreadable: set the key in production.
"""

from __future__ import annotations

import base64
import hashlib
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
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    derived = base64.urlsafe_b64encode(hashlib.sha256(f"lending-field-key:{secret_key}".encode()).digest())
    return MultiFernet([Fernet(derived)])


def cipher() -> MultiFernet:
    keys = tuple(getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) or ())
    return _fernet(keys, settings.SECRET_KEY)


def encrypt_text(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with the configured FIELD_ENCRYPTION_KEY"
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
