"""Storage names for stored documents: random, so nobody can guess one, and never the borrower's name or number.

Stored files are never served from MEDIA_URL (not even with DEBUG on): permission-checked views stream them
and give the reader a display filename in Content-Disposition.
"""

from __future__ import annotations

import re
import uuid

_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def random_storage_name(folder: str, filename: str = "") -> str:
    """``folder/<uuid4 hex><suffix>``, keeping only a plain suffix (".pdf") of ``filename``."""
    suffix = _SAFE_SUFFIX.search(filename or "")
    return f"{folder}/{uuid.uuid4().hex}{suffix.group(0).lower() if suffix else ''}"
