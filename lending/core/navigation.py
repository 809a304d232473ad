"""The staff workspace navigation: which sections each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

from lending.core import roles
from lending.core.reports.registry import report_roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...]

    @property
    def url(self) -> str:
        return reversed_once(self.url_name)


def reversed_once(url_name: str) -> str:
    """``reverse(url_name)`` for a URL without arguments, worked out once per process for each prefix and URL conf
    (the menu; ``{% url_once %}`` in the templates every page extends)."""
    return _reversed(url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


class _EscapedLinks(dict[str, str]):
    """The escaped URL of each name reversed so far, for one script prefix and URL conf (``{% url_once %}``'s output,
    which ``{% url %}`` escapes); a name is reversed the first time it is asked for."""

    def __init__(self, prefix: str, urlconf: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.urlconf = urlconf

    def __missing__(self, url_name: str) -> str:
        link = self[url_name] = conditional_escape(_reversed(url_name, self.prefix, self.urlconf))
        return link


def links_of_this_request() -> _EscapedLinks:
    """The escaped links for the current script prefix and URL conf (kept per process)."""
    return _links(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=16)
def _links(prefix: str, urlconf: str) -> _EscapedLinks:
    return _EscapedLinks(prefix, urlconf)


@lru_cache(maxsize=256)
def _reversed(url_name: str, prefix: str, urlconf: str) -> str:
    """A URL without arguments is the same on every request (for one prefix and URL conf): reversed once per
    process, not on every page for every item of the menu (eight reverse() calls a staff page, issue 15)."""
    return reverse(url_name, urlconf=urlconf)


STAFF_NAV = (
    NavItem("Workspace", "core:staff-home", roles.STAFF_ROLES),
    NavItem("CRM", "crm:home", (roles.LOAN_OFFICER, roles.MANAGER)),
    NavItem(
        "Origination",
        "origination:home",
        (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER),
    ),
    NavItem(
        "My tasks",
        "origination:my-tasks",
        (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER),
    ),
    NavItem("Servicing", "servicing:home", (roles.SERVICER, roles.COLLECTOR, roles.MANAGER)),
    NavItem("Collections", "collections:queue", (roles.COLLECTOR, roles.MANAGER)),
    NavItem("Jobs", "jobs:list", (roles.SERVICER, roles.MANAGER)),
    NavItem("HMDA", "hmda:lar", (roles.MANAGER,)),
    NavItem("Reports", "reports:index", ()),  # its roles: whoever may open a registered report
    NavItem("Servicer admin", "admin:index", roles.ADMIN_ROLES),
)


def _roles(item: NavItem) -> tuple[str, ...]:
    if item.url_name == "reports:index":
        return tuple(report_roles())
    return item.roles


def staff_nav_for(user) -> list[NavItem]:
    return [item for item in STAFF_NAV if roles.has_role(user, *_roles(item))]
