"""Opening a portal account from /apply/ without telling anyone whether an email is already registered.

Both outcomes answer alike (the same page: "check your email") and both send one email: a new applicant learns
the account and draft application are ready, the owner of an existing account learns someone tried to sign up
with their address. The account's password is hashed in both cases, so the time taken says nothing either.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from lending.core import roles
from lending.core.models import User
from lending.core.services import user_create
from origination import tasks
from origination.models import Application, LoanProduct
from origination.services import intake


@transaction.atomic
def applicant_signup(
    *, email: str, password: str, first_name: str, last_name: str, product: LoanProduct, purpose: str
) -> Application | None:
    """Open a borrower account with a draft application, or, when the email already has an account, change
    nothing and email its owner. Returns the new application, or None for an existing email
    (for the caller's tests and logs: never show the difference to the visitor)."""
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = user_create(
                    actor=None,
                    email=email,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                    role_names=(roles.BORROWER,),
                )
        except IntegrityError:  # the same email signed up at the same moment
            existing = User.objects.get(email__iexact=email)
    if existing is not None:
        make_password(password)  # the work an account creation does, so timing does not tell the two apart
        transaction.on_commit(lambda: tasks.notify_signup_with_existing_email.delay(existing.pk))
        return None
    application = intake.application_start(actor=user, product=product, purpose=purpose, applicant=user)
    transaction.on_commit(lambda: tasks.notify_account_opened.delay(application.pk))
    return application
