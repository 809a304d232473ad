"""Response headers: a Content-Security-Policy on every page (no inline script anywhere), and no-store caching
on the pages with personal or financial data."""

import re
from pathlib import Path

import pytest

from lending.core import roles
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _directives(header: str) -> dict[str, str]:
    # django-csp writes the directives in no fixed order.
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (None, "/"),
        (None, "/apply/"),
        (None, "/contact/"),
        (None, "/accounts/login/"),
        (roles.BORROWER, "/portal/"),
        (roles.LOAN_OFFICER, "/staff/origination/"),
        (roles.MANAGER, "/admin/"),
        (None, "/no-such-page/"),
    ],
)
def test_every_page_carries_the_content_security_policy(client, role, path):
    if role:
        client.force_login(user_with_role(role))
    response = client.get(path)
    assert _directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (roles.BORROWER, "/portal/"),
        (roles.LOAN_OFFICER, "/staff/origination/"),
        (roles.SERVICER, "/staff/servicing/"),
        (roles.MANAGER, "/admin/"),
        (None, "/accounts/login/"),
        (None, "/apply/"),
    ],
)
def test_pages_with_personal_data_are_never_stored(client, role, path):
    if role:
        client.force_login(user_with_role(role))
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE


def test_the_public_landing_page_may_be_cached(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def _template_files():
    return sorted(p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES).parts)


def test_templates_have_no_inline_script_or_event_handler():
    # The policy forbids inline script: anything inline would silently stop working in the browser.
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in _template_files()
        for pattern in (inline_script, handler, re.compile(r"javascript:", re.IGNORECASE))
        for match in pattern.finditer(path.read_text())
    ]
    assert offenders == []


def _csp_respond(path="/staff/", *, use_nonce=False, **attributes):
    """A response through the project's CSP middleware; the request, and the nonce the view used (or None)."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from lending.core.middleware import CSPMiddleware

    request = RequestFactory().get(path)
    middleware = CSPMiddleware(lambda request: HttpResponse("x"))
    middleware.process_request(request)
    nonce = str(request.csp_nonce) if use_nonce else None
    response = HttpResponse("x")
    for name, value in attributes.items():
        setattr(response, name, value)
    return middleware, request, middleware.process_response(request, response), nonce


def test_the_built_once_csp_header_is_django_csps_own():
    from csp.utils import build_policy

    middleware, _, response, _ = _csp_respond()
    assert response["Content-Security-Policy"] == build_policy()
    assert _directives(response["Content-Security-Policy"]) == POLICY
    assert "Content-Security-Policy-Report-Only" not in response
    # the next response gets the string built once
    request, second = _csp_respond()[1:3]
    assert middleware.process_response(request, second)["Content-Security-Policy"] == build_policy()


def test_a_nonce_the_view_used_is_in_its_responses_header(settings):
    from csp.constants import NONCE, SELF

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    _, _, response, nonce = _csp_respond(use_nonce=True)
    assert nonce
    assert f"'nonce-{nonce}'" in _directives(response["Content-Security-Policy"])["script-src"]
    _, _, plain, _ = _csp_respond()  # no nonce used: the sentinel dropped, as django-csp does
    assert _directives(plain["Content-Security-Policy"])["script-src"] == "'self'"


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    from csp.exceptions import CSPNonceError

    _, request, _, _ = _csp_respond()
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_decorators_policy_and_the_exemptions_are_django_csps(settings):
    from csp.constants import SELF

    _, _, updated, _ = _csp_respond(_csp_update={"img-src": ["https://images.example"]})
    assert _directives(updated["Content-Security-Policy"])["img-src"] == "'self' data: https://images.example"
    assert "Content-Security-Policy" not in _csp_respond(_csp_exempt=True)[2]
    middleware, request, response, _ = _csp_respond()
    already = response.__class__("x")
    already["Content-Security-Policy"] = "default-src 'none'"
    assert middleware.process_response(request, already)["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY = {"EXCLUDE_URL_PREFIXES": ["/staff/"], "DIRECTIVES": {"default-src": [SELF]}}
    assert "Content-Security-Policy" not in middleware.process_response(request, response.__class__("x"))
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF]}}
    other = _csp_respond("/portal/")[2]  # another policy setting: built again
    assert other["Content-Security-Policy"] == "default-src 'self'"
    assert other["Content-Security-Policy-Report-Only"] == "default-src 'self'"
