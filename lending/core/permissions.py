"""View guards: anonymous users go to the login page, signed-in users without the role get 403."""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin

from lending.core import roles


class RoleRequiredMixin(AccessMixin):
    """Allow a view to users holding any of ``allowed_roles``."""

    allowed_roles: tuple[str, ...] = ()
    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not roles.has_role(request.user, *self.allowed_roles):
            self.raise_exception = True  # signed in but not allowed: 403, not a login loop
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class StaffRequiredMixin(RoleRequiredMixin):
    allowed_roles = roles.STAFF_ROLES


class BorrowerRequiredMixin(RoleRequiredMixin):
    allowed_roles = (roles.BORROWER,)
