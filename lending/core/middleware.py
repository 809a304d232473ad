"""Request middleware: a request id for every request (response header, log lines, audit rows, the 500 page),
the `/healthz` check, the refusal of NUL bytes, and no-store caching for pages with personal data."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

_request_id: ContextVar[str] = ContextVar("lending_request_id", default="")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"
logger = logging.getLogger(__name__)


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


class RejectNulBytesMiddleware:
    """Refuse (400) a query string or form field holding a NUL byte: no browser sends one, PostgreSQL cannot store
    or compare one (a DataError, so a 500), and a search box or filter should not have to know that."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for params in (request.GET, request.POST if request.method == "POST" else {}):
            if any("\x00" in key or any("\x00" in value for value in params.getlist(key)) for key in params):
                raise BadRequest("A field of this request holds a NUL character.")
        return self.get_response(request)


class HealthCheckMiddleware:
    """`/healthz`: 200 "ok" when the database answers, 503 otherwise; for load balancers and container checks.

    Answered here, before SecurityMiddleware and CommonMiddleware, so the check needs neither an allowed
    Host header nor HTTPS; it reveals nothing but up or down.
    """

    PATH = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != self.PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            logger.warning("healthcheck: the database does not answer", exc_info=True)
            return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        return HttpResponse("ok\n", content_type="text/plain")
