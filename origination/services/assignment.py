"""Who works an application: loan officers in turn for new applications, and a manager's reassignment.

The round robin is stable (active loan officers in account order, starting after the one assigned last) and
safe under concurrency: the rotation row is locked while the next officer is chosen, so two applications
started at once get two officers in turn, never the same turn twice.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.selectors import users_with_role
from lending.core.services import audit_record
from origination.models import Application, AssignmentRotation

REASSIGN_ROLES = (roles.MANAGER,)


def active_loan_officers() -> QuerySet[User]:
    return users_with_role(roles.LOAN_OFFICER).order_by("pk")


def _locked_rotation(role: str) -> AssignmentRotation:
    try:
        with transaction.atomic():  # a savepoint: a concurrent first row makes this insert fail, not the caller
            AssignmentRotation.objects.get_or_create(role=role)
    except IntegrityError:
        pass
    return AssignmentRotation.objects.select_for_update().get(role=role)


@transaction.atomic
def loan_officer_next() -> User | None:
    """The next active loan officer in turn (None when there is none), and the turn moves to them."""
    rotation = _locked_rotation(roles.LOAN_OFFICER)
    officers = active_loan_officers()
    after = rotation.last_assigned_id or 0
    officer = officers.filter(pk__gt=after).first() or officers.first()
    if officer is not None:
        rotation.last_assigned = officer
        rotation.save(update_fields=["last_assigned", "updated_at"])
    return officer


@transaction.atomic
def application_loan_officer_assign(*, actor: User, application: Application, loan_officer: User) -> Application:
    """A manager gives the application to another active loan officer (audited)."""
    if not roles.has_role(actor, *REASSIGN_ROLES):
        raise PermissionDenied("Only a manager may reassign an application.")
    if not active_loan_officers().filter(pk=loan_officer.pk).exists():
        raise ValidationError({"loan_officer": "Choose an active loan officer."})
    locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    before = locked.loan_officer.email if locked.loan_officer is not None else ""
    if locked.loan_officer_id == loan_officer.pk:
        return locked
    Application.objects.filter(pk=locked.pk).update(loan_officer=loan_officer, updated_at=timezone.now())
    audit_record(
        actor=actor,
        verb="application.loan_officer_assigned",
        target=locked,
        before={"loan_officer": before},
        after={"loan_officer": loan_officer.email},
    )
    application.loan_officer = loan_officer
    return application
