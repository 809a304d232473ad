from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from lending.core import roles
from lending.core.navigation import NavItem, staff_nav_for
from lending.core.reports.registry import report_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_staff_member": False, "is_borrower": False, "staff_nav": []}
    superuser = bool(getattr(user, "is_superuser", False) and user.is_active)
    shown = _navigation(roles.user_roles(user), superuser, report_roles())
    return {
        "is_staff_member": shown.is_staff_member,
        "is_borrower": shown.is_borrower,
        "staff_nav": list(shown.staff_nav),
        "user_role_labels": list(shown.role_labels),
    }


@dataclass(frozen=True)
class _Shown:
    is_staff_member: bool
    is_borrower: bool
    staff_nav: tuple[NavItem, ...]
    role_labels: tuple[str, ...]


@dataclass(frozen=True)
class _RolesHeld:
    """What lending.core.roles reads of a signed-in user: its role names and whether it is an active superuser."""

    _lending_roles: frozenset[str]
    is_superuser: bool
    is_active: bool = True
    is_authenticated: bool = True


@lru_cache(maxsize=64)
def _navigation(held: frozenset[str], superuser: bool, reports_for: frozenset[str]) -> _Shown:
    """The menu and role labels of a user holding ``held``, worked out once per process for each set of roles (on
    every page they cost ~150-190 us: ten role checks through the request's lazy user, issue 15 "Load"), by the
    same role checks run on a stand-in for the user. ``reports_for`` (the roles the Reports item is shown to) is
    part of the key, so a report registered later shows at the next request."""
    user = cast(Any, _RolesHeld(held, superuser))
    return _Shown(
        is_staff_member=roles.is_staff_member(user),
        is_borrower=roles.is_borrower(user),
        staff_nav=tuple(staff_nav_for(user)),
        role_labels=tuple(roles.ROLE_LABELS[r] for r in roles.ALL_ROLES if r in roles.user_roles(user)),
    )
