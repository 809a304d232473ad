import pytest
from django.db import transaction

from lending.core.middleware import _request_id
from lending.core.models import AuditEvent
from lending.core.services import audit_record, audit_record_each, user_create
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_audit_record_writes_one_row_with_who_what_and_when():
    actor, target = UserFactory(email="servicer@lending.test"), UserFactory()
    event = audit_record(actor=actor, verb="user.updated", target=target, before={"a": 1}, after={"a": 2}, note="why")
    stored = AuditEvent.objects.get()
    assert stored == event
    assert (stored.actor, stored.actor_label, stored.verb) == (actor, "servicer@lending.test", "user.updated")
    assert (stored.target_id, stored.target_repr) == (str(target.pk), str(target))
    assert (stored.before, stored.after, stored.note) == ({"a": 1}, {"a": 2}, "why")
    assert stored.created_at is not None


def _failing_change(actor):
    with transaction.atomic():
        audit_record(actor=actor, verb="payment.posted", target=actor)
        raise RuntimeError("the change being audited failed")


def test_audit_record_rolls_back_with_the_callers_transaction():
    actor = UserFactory()
    with pytest.raises(RuntimeError):
        _failing_change(actor)
    assert AuditEvent.objects.count() == 0


def test_audit_record_serialises_decimals_and_dates():
    from datetime import date
    from decimal import Decimal

    event = audit_record(actor=None, verb="job.ran", after={"amount": Decimal("10.50"), "on": date(2026, 1, 31)})
    event.refresh_from_db()
    assert event.after == {"amount": "10.50", "on": "2026-01-31"}
    assert event.actor_label == "system"


def test_audit_record_takes_the_request_id_of_the_current_request():
    token = _request_id.set("req-12345678")
    try:
        event = audit_record(actor=None, verb="x.y")
    finally:
        _request_id.reset(token)
    assert event.request_id == "req-12345678"


def test_audit_record_requires_a_verb():
    with pytest.raises(ValueError, match="verb"):
        audit_record(actor=None, verb="")


def test_user_create_sets_roles_admin_access_and_audits():
    user = user_create(actor=None, email="Sam@Lending.test", password="x-long-password", role_names=("servicer",))
    assert user.email == "sam@lending.test"
    assert list(user.groups.values_list("name", flat=True)) == ["servicer"]
    assert user.is_staff is True
    assert AuditEvent.objects.filter(verb="user.created", target_id=str(user.pk)).count() == 1


def test_user_create_refuses_unknown_roles_and_writes_nothing():
    with pytest.raises(ValueError, match="role_names"):
        user_create(actor=None, email="x@lending.test", password="x-long-password", role_names=("admin",))
    assert AuditEvent.objects.count() == 0


def test_audit_record_each_writes_a_row_per_target_in_their_order_with_its_payload():
    from datetime import date
    from decimal import Decimal

    from django.contrib.contenttypes.models import ContentType

    actor = UserFactory(email="poster@lending.test")
    first, second = UserFactory(), UserFactory()
    audit_record_each(
        actor=actor,
        verb="payment.posted",
        targets=[second, first],
        afters=[{"amount": Decimal("10.50"), "on": date(2026, 1, 31)}, {"lines": [["cash", Decimal("1.00"), 0]]}],
    )
    rows = list(AuditEvent.objects.order_by("id"))
    assert [(row.target_id, row.target_repr, row.after) for row in rows] == [
        (str(second.pk), str(second), {"amount": "10.50", "on": "2026-01-31"}),
        (str(first.pk), str(first), {"lines": [["cash", "1.00", 0]]}),
    ]
    user_type = ContentType.objects.get_for_model(first)
    for row in rows:
        assert (row.actor, row.actor_label, row.verb, row.target_type) == (
            actor,
            "poster@lending.test",
            "payment.posted",
            user_type,
        )
        assert (row.before, row.note, row.request_id) == ({}, "", "")
        assert row.created_at is not None


def test_audit_record_each_by_the_system_takes_the_request_id_of_the_current_request():
    target = UserFactory()
    token = _request_id.set("req-87654321")
    try:
        audit_record_each(actor=None, verb="job.ran", targets=[target], afters=[{}])
    finally:
        _request_id.reset(token)
    row = AuditEvent.objects.get()
    assert (row.actor, row.actor_label, row.request_id, row.after) == (None, "system", "req-87654321", {})


def test_audit_record_each_with_no_targets_writes_nothing_and_requires_a_verb():
    audit_record_each(actor=None, verb="job.ran", targets=[], afters=[])
    assert AuditEvent.objects.count() == 0
    with pytest.raises(ValueError, match="verb"):
        audit_record_each(actor=None, verb="", targets=[UserFactory()], afters=[{}])
    assert AuditEvent.objects.count() == 0
