"""Sign-in helpers: the username django-axes counts failed sign-ins under; the user of a request with its roles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Aggregate, CharField, OuterRef, Subquery

from lending.core.compiled import CompiledQuery


def axes_username(request, credentials: dict | None) -> str | None:
    """The email as the account is found (case-insensitively), so every spelling of one account shares one count.

    Without this, "PROBE@example.com" got five fresh tries after "probe@example.com" was locked.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", request.POST).get(field) if request is not None else None
    if raw is None:
        return None
    return str(raw).strip().lower()


class _CommaJoined(Aggregate):
    """The values joined by commas: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _user_with_role_names(pk: int):
    role_names = (
        Group.objects.filter(user=OuterRef("pk")).order_by().values("user").annotate(names=_CommaJoined("name"))
    )
    users = get_user_model()._default_manager.annotate(role_names=Subquery(role_names.values("names")))
    return users.filter(pk=pk)


# Compiled once per process: building this queryset's SQL cost more CPU than the database's answer (issue 15).
_USER_WITH_ROLE_NAMES = CompiledQuery(_user_with_role_names, pk=int)


class RoleLoadingModelBackend(ModelBackend):
    """Django's ModelBackend, whose ``get_user`` (run on every signed-in request) also reads the user's role names
    in the same query, so ``roles.user_roles`` needs no query of its own: one query fewer on every page (issue 15)."""

    def get_user(self, user_id):
        user = next(iter(_USER_WITH_ROLE_NAMES.fetch(pk=int(user_id))), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        # What roles.user_roles caches on the user; role names never hold a comma (lending.core.roles)
        user._lending_roles = frozenset(user.role_names.split(",")) if user.role_names else frozenset()
        return user
