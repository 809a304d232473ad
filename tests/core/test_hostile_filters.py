"""No query string makes a 500: every GET filter of every list page gets hostile values (issue 9, item 16).

The list pages are discovered, not listed by hand: every URL without arguments under /staff/ and /admin/
(and the borrower portal), opened as a user with every staff role and the admin's superuser rights. Each
page's filters are the fields of its GET forms and the keys of its "?..." links, plus the usual page/search
keys. Huge integers overflow a 64-bit column, a NUL byte is refused by PostgreSQL, CR/LF and long strings
reach header and form code: each must give a 2xx/3xx/4xx answer.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from lending.core import roles
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "99999999999",  # past a C int and a timedelta's days
    "9" * 30,  # past a 64-bit column
    "9999",  # the last year a date can hold: its "next year" overflows
    "-1",
    "abc",
    "a\x00b",  # PostgreSQL refuses NUL in text
    "a\r\nb",
    "x" * 3000,
]
# Keys every list page may take even when no link on the seeded page shows them (pagination, admin search/order).
COMMON_KEYS = ("page", "q", "p", "o", "status")
LIST_PREFIXES = ("/staff/", "/admin/", "/portal/")
# No-argument GET URLs that are not pages to filter.
SKIP_PATHS = ("/admin/logout/", "/admin/jsi18n/", "/admin/autocomplete/")


def url_routes(resolver=None, prefix: str = "/", allowed: frozenset[str] = frozenset()) -> list[str]:
    """Every URL route of the project whose only arguments are among ``allowed`` ("<int:pk>"), by walking the
    resolver tree; regex routes (the admin's catch-alls) are left out."""
    resolver = resolver or get_resolver()
    paths = []
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if "(" in route or set(re.findall(r"<[^>]+>", route)) - allowed:
            continue
        route = route.lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(entry, URLResolver):
            paths.extend(url_routes(entry, prefix + route, allowed))
        elif isinstance(entry, URLPattern):
            paths.append(prefix + route)
    return sorted(set(paths))


def list_page_paths() -> list[str]:
    return [
        p
        for p in url_routes()
        if p.startswith(LIST_PREFIXES) and not p.startswith(SKIP_PATHS) and not p.endswith("/add/")
    ]


class _FilterKeys(HTMLParser):
    """Names of the fields of GET forms and the query keys of links on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._in_get_form = (attributes.get("method") or "get").lower() == "get"
        elif tag in {"input", "select", "textarea"} and self._in_get_form and attributes.get("name"):
            if attributes.get("type") not in {"submit", "button"}:
                self.keys.add(attributes["name"])
        elif tag == "a" and (attributes.get("href") or "").startswith("?"):
            self.keys.update(key for key, _ in parse_qsl(urlsplit(attributes["href"]).query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def filter_keys(html: str) -> set[str]:
    parser = _FilterKeys()
    parser.feed(html)
    return parser.keys - {"csrfmiddlewaretoken"}


@pytest.fixture
def staff_client(client):
    user = UserFactory(roles=list(roles.STAFF_ROLES), is_superuser=True, is_staff=True)
    client.force_login(user)
    client.raise_request_exception = False
    return client


def test_the_discovery_finds_the_list_pages():
    paths = list_page_paths()
    for expected in ("/staff/origination/", "/staff/servicing/", "/staff/crm/", "/admin/servicing/loanaccount/"):
        assert expected in paths


def test_filter_keys_come_from_get_forms_and_query_links():
    html = (
        '<form method="get"><input name="q"><select name="officer"></select><button type="submit" name="go">'
        '</button></form><form method="post"><input name="amount"></form><a href="?age=30&amp;page=2">x</a>'
    )
    assert filter_keys(html) == {"q", "officer", "age", "page"}


def _hostile_queries(keys: set[str]):
    for key in sorted(keys):
        for value in HOSTILE_VALUES:
            yield key, value


def hostile_failures(client, path: str, keys=COMMON_KEYS) -> list[str]:
    """Open ``path``, find its filters, send each hostile value to each; the requests that answered 5xx."""
    first = client.get(path)
    if first.status_code >= 500:
        return [f"{path} -> {first.status_code}"]
    keys = set(keys)
    if first.status_code == 200 and "html" in first.get("Content-Type", ""):
        keys |= filter_keys(first.content.decode())
    failures = []
    for key, value in _hostile_queries(keys):
        response = client.get(f"{path}?{urlencode({key: value})}")
        if response.status_code >= 500:
            failures.append(f"{path}?{key}={value[:40]!r} -> {response.status_code}")
    return failures


@pytest.mark.parametrize("path", list_page_paths())
def test_no_filter_value_makes_a_500(staff_client, path):
    assert hostile_failures(staff_client, path) == []


def test_hostile_values_reach_the_pipeline_filters(staff_client):
    """The pipeline's officer/product/age filters are among the discovered keys (the ones issue 9 found)."""
    keys = filter_keys(staff_client.get("/staff/origination/").content.decode())
    assert {"officer", "product", "age", "q", "status"} <= keys
