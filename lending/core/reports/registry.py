"""The report registry: every app lists its reports here, and /staff/reports/ shows a user the ones they may open.

An app registers its reports in ``<app>/reports/`` (a package: every module in it is imported) or ``<app>/reports.py``.
A report view is registered with the ``@register`` decorator (it gets the URL ``/staff/reports/<slug>/``, named
``reports:<slug>``); a page routed elsewhere (the HMDA register) with ``register_link``. Discovery is by module name
(``import_module``), so lending.core never imports an app above it.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from django.apps import apps
from django.urls import reverse

from lending.core import roles

if TYPE_CHECKING:
    from lending.core.reports.views import ReportView

    ReportViewT = TypeVar("ReportViewT", bound=type[ReportView])


@dataclass(frozen=True)
class ReportEntry:
    """One report on the index: who may open it and where it lives."""

    slug: str
    title: str
    description: str
    roles: tuple[str, ...]
    url_name: str
    view: type[ReportView] | None = None  # None for a page routed by its app (register_link)
    order: int = 100  # position on the index (then by title)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_REGISTRY: dict[str, ReportEntry] = {}
_discovered = False


def _add(entry: ReportEntry) -> None:
    existing = _REGISTRY.get(entry.slug)
    if existing is not None and existing != entry:
        raise ValueError(f"slug: a report named {entry.slug!r} is registered already ({existing.title})")
    unknown = set(entry.roles) - set(roles.STAFF_ROLES)
    if unknown:
        raise ValueError(f"roles: {sorted(unknown)} are not staff roles")
    _REGISTRY[entry.slug] = entry


def register(view: ReportViewT) -> ReportViewT:
    """Class decorator: list a ReportView subclass on the index, routed at /staff/reports/<slug>/."""
    _add(
        ReportEntry(
            slug=view.slug,
            title=view.title,
            description=view.description,
            roles=tuple(view.allowed_roles),
            url_name=f"reports:{view.slug}",
            view=view,
            order=view.order,
        )
    )
    return view


def register_link(
    *, slug: str, title: str, description: str, roles: tuple[str, ...], url_name: str, order: int = 100
) -> None:
    """List a page that its app routes itself (e.g. the HMDA register at hmda:lar)."""
    _add(ReportEntry(slug=slug, title=title, description=description, roles=roles, url_name=url_name, order=order))


def autodiscover() -> None:
    """Import every installed app's ``reports`` module (and, for a package, each module in it), once."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for config in apps.get_app_configs():
        if config.name == "lending.core":
            continue  # lending.core.reports is this framework, not a report module
        name = f"{config.name}.reports"
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            import_module(f"{name}.{info.name}")


def all_reports() -> list[ReportEntry]:
    autodiscover()
    return sorted(_REGISTRY.values(), key=lambda entry: (entry.order, entry.title))


def routed_reports() -> list[ReportEntry]:
    """The reports that /staff/reports/<slug>/ serves (lending.core.reports.urls)."""
    return [entry for entry in all_reports() if entry.view is not None]


def reports_for(user: roles.RequestUser | None) -> list[ReportEntry]:
    """The reports ``user`` may open, in index order."""
    return [entry for entry in all_reports() if roles.has_role(user, *entry.roles)]


def report_roles() -> frozenset[str]:
    """Every role that may open at least one report (the staff navigation shows "Reports" to them)."""
    return frozenset(role for entry in all_reports() for role in entry.roles)
