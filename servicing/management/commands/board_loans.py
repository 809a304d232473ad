"""Board funded applications that have no loan account (boarding failed when they were funded): all of them, or
one with --application. Idempotent: a loan already boarded is reported and nothing is posted again. Exit code 1
when any application still cannot be boarded."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lending.core.models import User
from servicing.services.onboarding import loans_board_funded


class Command(BaseCommand):
    help = "Board funded applications that have no loan account yet (all, or --application ID)."

    def add_arguments(self, parser):
        parser.add_argument("--application", type=int, help="The application's id (default: every one not boarded).")
        parser.add_argument("--user", help="Email of the user the boarding is recorded as (default: system).")

    def handle(self, *args, application=None, user=None, **options):
        actor = None
        if user:
            actor = User.objects.filter(email__iexact=user).first()
            if actor is None:
                raise CommandError(f"No user with email {user}")
        outcomes = loans_board_funded(actor=actor, application_ids=[application] if application is not None else None)
        if application is not None and not outcomes:
            raise CommandError(f"No funded application with id {application}.")
        failed = 0
        for outcome in outcomes:
            if outcome.error:
                failed += 1
                self.stdout.write(f"{outcome.number}: not boarded: {outcome.error}")
            elif outcome.boarded:
                self.stdout.write(f"{outcome.number}: boarded as {outcome.loan.loan_number}")
            else:
                self.stdout.write(f"{outcome.number}: already boarded as {outcome.loan.loan_number}")
        boarded = sum(outcome.boarded for outcome in outcomes)
        self.stdout.write(f"{boarded} boarded, {len(outcomes) - boarded - failed} already boarded, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} funded application(s) could not be boarded.")
