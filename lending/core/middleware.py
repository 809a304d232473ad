"""A request id for every request (on the response header, in log lines, on audit rows and the 500 page), and
no-store caching for pages with personal data."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.utils.cache import add_never_cache_headers

_request_id: ContextVar[str] = ContextVar("lending_request_id", default="")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Keep a well-formed id from the load balancer so one id follows the request across systems.
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and private, no-cache) on pages with personal or financial data, so a shared
    computer's back button or a proxy never serves them to the next person."""

    def __init__(self, get_response):
        self.prefixes = tuple(settings.LENDING_NO_STORE_PATH_PREFIXES)
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefixes):
            add_never_cache_headers(response)
        return response
