"""Request middleware: a request id for every request (response header, log lines, audit rows, the 500 page),
the `/healthz` check, the refusal of NUL bytes, no-store caching for pages with personal data, and the
Content-Security-Policy header (django-csp's, built once per policy)."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
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


# What a view's django-csp decorators set on its response: a policy of its own, built by django-csp as before.
_CSP_PER_RESPONSE = tuple(f"_csp_{part}{ro}" for part in ("config", "update", "replace") for ro in ("", "_ro"))
# (header, setting, the response attribute that exempts it, report-only) as django-csp's process_response has them
_CSP_HEADERS = (
    (CSP_HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
    (CSP_HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
)


class CSPMiddleware(LibraryCSPMiddleware):
    """django-csp's middleware, whose header is the same string for every response that neither used a nonce nor
    carries a decorator's policy: built once per policy setting (django-csp built it from the settings on every
    response, issue 15 "Load"), then set as django-csp sets it (not over a header already set, not on an exempted
    response or an excluded path). Any other response goes through django-csp's own ``process_response``."""

    def __init__(self, get_response):
        super().__init__(get_response)
        # setting name: (its value when built, the header, the path prefixes it is not set on)
        self._built: dict[str, tuple[object, str, tuple[str, ...]]] = {}

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_PER_RESPONSE
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (500, 404):  # django-csp leaves the debug pages alone
            return response
        for header, setting, exempt, report_only in _CSP_HEADERS:
            policy, excluded = self._policy(setting, report_only)
            exempted = getattr(response, exempt, False) is not False or request.path_info.startswith(excluded)
            if policy and header not in response and not exempted:
                response[header] = policy
        # as django-csp: a nonce asked for after the header is written is an error, not a nonce missing from it
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _policy(self, setting: str, report_only: bool) -> tuple[str, tuple[str, ...]]:
        """django-csp's header for the setting's policy (no nonce, no decorator's change) and its excluded path
        prefixes; built again when the setting is another object (override_settings in tests)."""
        value = getattr(settings, setting, None)
        built = self._built.get(setting)
        if built is None or built[0] is not value:
            excluded = tuple((value or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
            built = self._built[setting] = (value, build_policy(report_only=report_only), excluded)
        return built[1], built[2]
