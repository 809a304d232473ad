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
