"""Writes for the core app. Every write is a keyword-only function ``<noun>_<verb>(*, actor, ...)``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from lending.core import roles
from lending.core.middleware import current_request_id
from lending.core.models import AuditEvent, User

SYSTEM_ACTOR_LABEL = "system"


def _json_text(event: AuditEvent, field: str) -> str:
    """The JSON text of ``event``'s ``before`` or ``after``: as ``audit_event`` wrote it when the field still
    holds what it made, else written now."""
    value = getattr(event, field)
    made, text = getattr(event, "_json_texts", {}).get(field, (None, ""))
    return text if value is made else json.dumps(value, cls=DjangoJSONEncoder)


def audit_record(
    *,
    actor: User | None,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    request_id: str | None = None,
) -> AuditEvent:
    """Write one audit row in the caller's transaction: it commits or rolls back with the change it records."""
    event = audit_event(
        actor=actor, verb=verb, target=target, before=before, after=after, note=note, request_id=request_id
    )
    event.save()
    return event


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write many audit rows (built with ``audit_event``) in one INSERT, in the caller's transaction: batch
    postings record exactly what the one-at-a-time services record. On PostgreSQL the JSON is written once per
    row and sent as plain parameters: not instances prepared field by field, nor arrays of JSON text (the driver
    escapes each element in Python), which cost more than the insert for a payment's two rows or a file's
    thousands."""
    if not events or connection.vendor != "postgresql":
        return AuditEvent.objects.bulk_create(events)
    sql, params = audit_insert_sql(events)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING id", params)
        audit_ids_set(events, [pk for (pk,) in cursor.fetchall()])
    return events


def audit_record_each(
    *, actor: User | None, verb: str, targets: Sequence[models.Model], afters: Sequence[dict[str, Any]]
) -> None:
    """Write one audit row per target (``after`` its payload, in the same order), all of one verb by one actor, in
    the caller's transaction: the rows ``audit_record_many`` writes for ``audit_event``s, without an instance per
    row. On PostgreSQL the rows' own parts (target id, title, payload) go as one JSON array the server takes
    apart: one parameter, not eleven a row for the driver to splice into the text, nor a payload written to JSON,
    read back and written again. A payment file's chunk is hundreds of rows."""
    if connection.vendor != "postgresql":
        audit_record_many(
            [audit_event(actor=actor, verb=verb, target=t, after=a) for t, a in zip(targets, afters, strict=True)]
        )
        return
    if not verb:
        raise ValueError("verb is required")
    if not targets:
        return
    rows = json.dumps(
        [[str(t.pk), str(t)[:255], after] for t, after in zip(targets, afters, strict=True)], cls=DjangoJSONEncoder
    )
    who = actor if actor is not None and actor.pk else None
    with connection.cursor() as cursor:
        cursor.execute(
            _AUDIT_EACH,
            [
                timezone.now(),
                who.pk if who is not None else None,
                who.email if who is not None else SYSTEM_ACTOR_LABEL,
                verb,
                ContentType.objects.get_for_model(targets[0]).pk,
                current_request_id(),
                rows,
            ],
        )


# The rows' order is the targets' (ids ascending with it), as audit_record_many writes them.
_AUDIT_EACH = (
    "INSERT INTO core_auditevent (created_at, actor_id, actor_label, verb, target_type_id, target_id, target_repr,"
    " before, after, note, request_id) SELECT %s, %s, %s, %s, %s, r ->> 0, r ->> 1, '{}'::jsonb, r -> 2, '', %s"
    " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS a(r, n) ORDER BY n"
)


def audit_insert_sql(events: list[AuditEvent]) -> tuple[str, list[Any]]:
    """The PostgreSQL INSERT of ``events`` (one or more) and its parameters, for ``audit_record_many`` or for a
    write that carries its audit rows in its own statement (ids in row order: ``audit_ids_set``)."""
    return audit_rows_insert_sql([audit_row_of(event) for event in events])


def audit_rows_insert_sql(rows: Sequence[AuditRow]) -> tuple[str, list[Any]]:
    """``audit_insert_sql`` of rows made without instances (``audit_row``)."""
    params = [value for row in rows for value in row]
    return f"{_AUDIT_INSERT} {', '.join([_AUDIT_ROW] * len(rows))}", params  # only constants in the text


def audit_row_of(event: AuditEvent) -> AuditRow:
    """The columns ``event`` writes (``before`` and ``after`` as their JSON text)."""
    return AuditRow(
        event.created_at,
        event.actor_id,
        event.actor_label,
        event.verb,
        event.target_type_id,
        event.target_id,
        event.target_repr,
        _json_text(event, "before"),
        _json_text(event, "after"),
        event.note,
        event.request_id,
    )


def audit_event_of(row: AuditRow) -> AuditEvent:
    """The unsaved instance of ``row``: where no statement of its own writes it (elsewhere than PostgreSQL)."""
    fields = row._asdict()
    fields["before"], fields["after"] = json.loads(row.before), json.loads(row.after)
    return AuditEvent(**fields)


def audit_ids_set(events: list[AuditEvent], ids: list[int]) -> None:
    """Give ``events`` the ids their INSERT returned (in row order): they are saved rows from now on."""
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False


_AUDIT_INSERT = (
    "INSERT INTO core_auditevent (created_at, actor_id, actor_label, verb, target_type_id, target_id, target_repr,"
    " before, after, note, request_id) VALUES"
)
_AUDIT_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s)"


def audit_event(
    *,
    actor: User | None,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    request_id: str | None = None,
) -> AuditEvent:
    """An unsaved audit row (``audit_record`` saves one, ``audit_record_many`` saves many)."""
    row = audit_row(actor=actor, verb=verb, target=target, before=before, after=after, note=note, request_id=request_id)
    # Stored as DjangoJSONEncoder writes them (Decimals, dates and UUIDs as strings), the text kept for the insert.
    before_json, after_json = json.loads(row.before), json.loads(row.after)
    event = AuditEvent(
        created_at=row.created_at,
        actor=actor if row.actor_id is not None else None,
        actor_label=row.actor_label,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=row.target_id,
        target_repr=row.target_repr,
        before=before_json,
        after=after_json,
        note=note,
        request_id=row.request_id,
    )
    event._json_texts = {"before": (before_json, row.before), "after": (after_json, row.after)}  # type: ignore[attr-defined]  # see _json_text
    return event


class AuditRow(NamedTuple):
    """An audit row's columns as ``audit_event`` makes them, ``before`` and ``after`` as their JSON text: for a
    statement that writes its own audit rows (``audit_rows_insert_sql``) and needs no instance back. A payment posted
    from a screen writes two: their instances (a JSON payload read back, a model's fields set) cost more than the
    rest of the row."""

    created_at: datetime
    actor_id: int | None
    actor_label: str
    verb: str
    target_type_id: int | None
    target_id: str
    target_repr: str
    before: str
    after: str
    note: str
    request_id: str


def audit_row(
    *,
    actor: User | None,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    request_id: str | None = None,
) -> AuditRow:
    """The columns of the audit row ``audit_event`` would make, without the instance."""
    if not verb:
        raise ValueError("verb is required")
    who = actor if actor is not None and actor.pk else None
    return AuditRow(
        timezone.now(),
        who.pk if who is not None else None,
        who.email if who is not None else SYSTEM_ACTOR_LABEL,
        verb,
        ContentType.objects.get_for_model(target).pk if target is not None else None,
        str(target.pk) if target is not None else "",
        str(target)[:255] if target is not None else "",
        _json_or_empty(before),
        _json_or_empty(after),
        note,
        request_id if request_id is not None else current_request_id(),
    )


def _json_or_empty(value: dict[str, Any] | None) -> str:
    """``value``'s JSON text; ``'{}'`` as written when it is empty or None (a posting's ``before``), without the
    encoder."""
    return json.dumps(value, cls=DjangoJSONEncoder) if value else "{}"


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role_names: tuple[str, ...] = (),
    is_superuser: bool = False,
) -> User:
    """Create a user with roles; admin access (is_staff) follows from the roles."""
    unknown = set(role_names) - set(roles.ALL_ROLES)
    if unknown:
        raise ValueError(f"role_names: unknown roles {sorted(unknown)}")
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_superuser or any(r in roles.ADMIN_ROLES for r in role_names),
        is_superuser=is_superuser,
    )
    # Role groups are reference data kept by roles_sync after every migrate (and after a test flush).
    user.groups.set(Group.objects.filter(name__in=role_names))
    audit_record(actor=actor, verb="user.created", target=user, after={"email": user.email, "roles": role_names})
    return user


@transaction.atomic
def roles_sync() -> None:
    """Make sure every role group exists and holds exactly the permissions ROLE_PERMISSIONS gives it."""
    wanted = {perm for perms in roles.ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={name.split(".", 1)[1] for name in wanted}
        )
    }
    for name in roles.ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        perms = [by_name[p] for p in roles.ROLE_PERMISSIONS.get(name, ()) if p in by_name]
        group.permissions.set(perms)


def user_privileges(user: User) -> dict[str, Any]:
    """What the user may do: the fields only a superuser changes, as audit before/after values."""
    return {
        "is_superuser": user.is_superuser,
        "is_staff": user.is_staff,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


def user_privileges_audit(*, actor: User, user: User, before: dict[str, Any]) -> AuditEvent | None:
    """Record a change of the user's privileges (made through the admin's form), if there was one."""
    after = user_privileges(user)
    if after == before:
        return None
    changed = {key for key in after if after[key] != before[key]}
    return audit_record(
        actor=actor,
        verb="user.privileges_changed",
        target=user,
        before={k: before[k] for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
    )


def user_password_set_audit(*, actor: User, user: User) -> AuditEvent:
    """Record that ``actor`` set ``user``'s password in the admin (never the password itself)."""
    return audit_record(actor=actor, verb="user.password_set", target=user)
