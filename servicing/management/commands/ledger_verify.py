"""Prove the books: every entry balances, the trial balance nets to zero, the per-account daily totals equal the
journal lines, the loans' kept balance totals and portfolio strata equal the loans, every loan's running balances
equal its journal, and every funded application has been boarded. Exit code 1 with a report when anything is off."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from servicing import selectors
from servicing.models import LoanAccount
from servicing.selectors import BALANCE_FIELDS
from servicing.selectors.general_ledger import daily_totals_mismatches, loan_totals_mismatches
from servicing.selectors.portfolio import portfolio_strata_mismatches


class Command(BaseCommand):
    help = "Check that the journal balances and that every loan's running balances equal the journal."

    def handle(self, *args, **options):
        problems = 0
        for entry in selectors.unbalanced_entries():
            problems += 1
            self.stdout.write(
                f"JE {entry.pk} ({entry.kind}, {entry.effective_date}): "
                + (
                    "no lines"
                    if entry.line_count == 0
                    else f"debits {entry.debit_total} != credits {entry.credit_total}"
                )
            )
        trial = selectors.trial_balance()
        if not trial.nets_to_zero:
            problems += 1
            self.stdout.write(
                f"Trial balance does not net to zero: debits {trial.total_debit} != credits {trial.total_credit}"
            )
        for day in daily_totals_mismatches():
            problems += 1
            self.stdout.write(
                f"Daily totals of {day.account_code} on {day.day}: debits {day.daily_debit} credits "
                f"{day.daily_credit}, the lines say {day.lines_debit} and {day.lines_credit} "
                "(manage.py ledger_daily_rebuild repairs them)"
            )
        for field, (kept, loans) in loan_totals_mismatches().items():
            problems += 1
            self.stdout.write(
                f"Loan balance total {field}: kept {kept}, the loans say {loans} (manage.py ledger_daily_rebuild "
                "repairs it)"
            )
        for keys, kept, loans in portfolio_strata_mismatches():
            problems += 1
            self.stdout.write(
                f"Portfolio stratum {' / '.join(map(str, keys))}: kept {kept}, the loans say {loans} "
                "(manage.py ledger_daily_rebuild repairs it)"
            )
        for loan in selectors.loan_balance_mismatches():
            problems += 1
            differences = "; ".join(
                f"{field} {getattr(loan, field)} != journal {getattr(loan, f'journal_{field}')}"
                for field in BALANCE_FIELDS
                if getattr(loan, field) != getattr(loan, f"journal_{field}")
            )
            self.stdout.write(f"{loan.loan_number}: {differences}")
        for number in selectors.funded_without_loan_account():
            problems += 1
            self.stdout.write(f"{number}: funded but not boarded (no loan account)")
        if problems:
            raise CommandError(f"ledger_verify found {problems} problem(s).", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger verified: {LoanAccount.objects.count()} loans agree with the journal; every entry balances; "
                f"trial balance {trial.total_debit} = {trial.total_credit}."
            )
        )
