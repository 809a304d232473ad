"""Roles are Django groups; this module names them and answers "may this user ...?"."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser

if TYPE_CHECKING:
    from lending.core.models import User

# What request.user holds; services and selectors that check roles take it.
RequestUser: TypeAlias = "User | AnonymousUser"

LOAN_OFFICER = "loan_officer"
PROCESSOR = "processor"
UNDERWRITER = "underwriter"
CLOSER = "closer"
SERVICER = "servicer"
COLLECTOR = "collector"
MANAGER = "manager"
# Finance staff: the reports, the trial balance and the GL (issue 14); no servicing or origination pages.
ACCOUNTING = "accounting"
BORROWER = "borrower"

STAFF_ROLES = (LOAN_OFFICER, PROCESSOR, UNDERWRITER, CLOSER, SERVICER, COLLECTOR, MANAGER, ACCOUNTING)
ALL_ROLES = (*STAFF_ROLES, BORROWER)
ROLE_LABELS = {
    LOAN_OFFICER: "Loan officer",
    PROCESSOR: "Processor",
    UNDERWRITER: "Underwriter",
    CLOSER: "Closer",
    SERVICER: "Servicer",
    COLLECTOR: "Collector",
    MANAGER: "Manager",
    ACCOUNTING: "Accounting",
    BORROWER: "Borrower",
}
# Roles whose members may open the Django admin (servicer screens); set as is_staff by the role service.
ADMIN_ROLES = (SERVICER, MANAGER)
# Model permissions ("app_label.codename") each role holds in the admin. Synced after every migrate;
# later apps add their models' permissions here.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    MANAGER: (
        "core.view_user",
        "core.add_user",
        "core.change_user",
        "core.view_auditevent",
        "origination.view_loanproduct",
        "origination.add_loanproduct",
        "origination.change_loanproduct",
        "origination.view_productdocument",
        "origination.add_productdocument",
        "origination.change_productdocument",
        "origination.delete_productdocument",
        "origination.view_productfee",
        "origination.add_productfee",
        "origination.change_productfee",
        "origination.delete_productfee",
        "origination.view_documenttype",
        "origination.add_documenttype",
        "origination.change_documenttype",
        "origination.view_averageprimeofferrate",
        "origination.add_averageprimeofferrate",
        "origination.change_averageprimeofferrate",
        "servicing.view_loanaccount",
        "servicing.view_installment",
        "servicing.view_escrowitem",
        "servicing.view_journalentry",
        "servicing.view_journalline",
        "servicing.view_ledgeraccount",
        "servicing.add_ledgeraccount",
        "servicing.change_ledgeraccount",
        "crm.view_leadsource",
        "crm.add_leadsource",
        "crm.change_leadsource",
        "crm.view_referralpartner",
        "crm.add_referralpartner",
        "crm.change_referralpartner",
        "crm.view_marketrate",
        "crm.add_marketrate",
        "crm.change_marketrate",
        "crm.view_campaignsend",
        "crm.change_campaignsend",
        "crm.view_pastclient",
    ),
    SERVICER: (
        "core.view_auditevent",
        "servicing.view_loanaccount",
        "servicing.view_installment",
        "servicing.view_escrowitem",
        "servicing.view_journalentry",
        "servicing.view_journalline",
        "servicing.view_ledgeraccount",
    ),
}


def user_roles(user: RequestUser | None) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_lending_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._lending_roles = cached  # type: ignore[attr-defined]  # a per-request cache on the instance
    return cached


def has_role(user: RequestUser | None, *roles: str) -> bool:
    """True when the user holds any of ``roles`` (superusers hold every staff role)."""
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return any(role in STAFF_ROLES for role in roles)
    return bool(user_roles(user) & set(roles))


def is_staff_member(user: RequestUser | None) -> bool:
    return has_role(user, *STAFF_ROLES)


def is_borrower(user: RequestUser | None) -> TypeGuard[User]:
    return BORROWER in user_roles(user)
