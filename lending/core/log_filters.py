"""Logging filters named by LOGGING in settings."""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx answer (403, 404, 400) is the client's mistake, not ours: keep its one warning line, drop the traceback.

    Django logs PermissionDenied, BadRequest and the like through ``django.request`` with the exception attached;
    a 5xx keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
