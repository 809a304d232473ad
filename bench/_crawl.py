"""Finding a site's pages as users do: the links of a page, and which URLs are "the same page" (bench_every_page)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlsplit

from django.apps import apps
from django.urls import Resolver404, get_resolver, resolve

# Links not followed: they leave the site's pages (static files, logout).
SKIP_PREFIXES = ("/static/", "/media/", "/accounts/logout")
# URLs not kept: they only re-sort a page or carry a return address.
SKIP_QUERY_KEYS = frozenset({"o", "_changelist_filters", "next"})
P95 = 0.95


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for href in (values.get("href") if tag == "a" else None, values.get("hx-get")):
            if href:
                self.hrefs.append(href)


def page_links(html: str, base_path: str) -> list[str]:
    """The site-local paths (with query string, no fragment) ``html``'s links and htmx panels (``hx-get``) point
    to, in page order, once each; a link to "?query" keeps ``base_path``."""
    parser = _Links()
    parser.feed(html)
    seen: dict[str, None] = {}
    for href in parser.hrefs:
        href = urldefrag(href)[0]
        if not href or href.startswith(("//", "mailto:", "tel:", "javascript:")):
            continue
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue
        path = parts.path or base_path
        if not path.startswith("/") or path.startswith(SKIP_PREFIXES):
            continue
        seen.setdefault(f"{path}?{parts.query}" if parts.query else path, None)
    return list(seen)


def variant_key(url: str) -> tuple[str, tuple[str, ...]] | None:
    """(route, query-string keys) of a site URL: the pages that are "the same page" for this bench; None for a
    URL no route serves, or one that only re-sorts or carries a return address."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = tuple(sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    if SKIP_QUERY_KEYS.intersection(keys):
        return None
    return match.route, keys


def project_routes() -> set[str]:
    """Every route of the project's URLconf, as ``resolve(...).route`` spells it."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return set(walk(get_resolver().url_patterns, ""))


@dataclass
class Page:
    user: str
    url: str
    route: str
    status: int
    content_type: str
    queries: int = 0
    wall_ms: list[float] = field(default_factory=list)

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")

    @property
    def median(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def p95(self) -> float:
        samples = sorted(self.wall_ms)
        return samples[min(len(samples) - 1, round(P95 * (len(samples) - 1)))]


# A route's first ``<int:pk>`` under these prefixes is the borrower's loan or application (``route_url``'s ids).
ID_OF_PREFIX = (
    ("staff/servicing/loans/", "loan"),
    ("staff/collections/loans/", "loan"),
    ("portal/loans/", "loan"),
    ("staff/origination/applications/", "application"),
    ("portal/applications/", "application"),
)
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_ADMIN_OBJECT = re.compile(r"admin/(\w+)/(\w+)/<path:object_id>/")


def route_url(route: str, ids: dict[str, int | None]) -> tuple[str | None, str]:
    """A URL for ``route`` with its parameters filled, or (None, why not): an admin object route takes a row of
    its table (a loan the loan of ``ids``), a loan's or an application's route the one of ``ids``, and any other
    number 1 (an action that only takes a POST answers 405 before it looks the row up)."""
    if "(?P<" in route:
        return None, "a pattern the admin resolves itself (its catch-all, an app's index)"
    admin_object = _ADMIN_OBJECT.match(route)
    if admin_object:
        model = apps.get_model(admin_object.group(1), admin_object.group(2))
        pk = ids["loan"] if model._meta.label == "servicing.LoanAccount" else _first_pk(model)
        if pk is None:
            return None, f"no row in {model._meta.label}"
        return "/" + route.replace("<path:object_id>", str(pk)), ""
    if "<path:" in route or "<str:" in route or "<slug:" in route or "<uidb64>" in route:
        return None, "takes a token, a name or a path no row gives"
    if route.startswith("admin/core/user/<id>"):
        return "/" + route.replace("<id>", str(_first_pk(apps.get_model("core", "User")))), ""
    key = next((key for prefix, key in ID_OF_PREFIX if route.startswith(prefix)), None)
    first = ids.get(key) if key else 1
    if first is None:
        return None, f"no {key} of the bench's borrower"
    url = _PARAM.sub(str(first), route, count=1)
    return "/" + _PARAM.sub("1", url), ""


def _first_pk(model) -> int | None:
    return model._default_manager.order_by("pk").values_list("pk", flat=True).first()
