"""Prove the leads' kept day counts against the leads (exit code 1 with a report when they differ), or with
--rebuild recompute them, or with --compact merge them (what the nightly task does)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.selectors_counts import lead_count_mismatches
from crm.services.lead_counts import lead_counts_compact, lead_counts_rebuild


class Command(BaseCommand):
    help = "Check the leads' kept day counts against the leads; --rebuild recomputes them, --compact merges them."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute the counts from the leads")
        parser.add_argument("--compact", action="store_true", help="merge each key's rows into one")

    def handle(self, *args, **options):
        if options["rebuild"]:
            self.stdout.write(f"Rebuilt {lead_counts_rebuild()} lead count rows from the leads.")
            return
        if options["compact"]:
            self.stdout.write(f"Merged {lead_counts_compact()} lead count rows.")
            return
        problems = lead_count_mismatches()
        for key, kept, leads in problems:
            self.stdout.write(f"Leads {' / '.join(map(str, key))}: kept {kept}, the leads say {leads}")
        if problems:
            raise CommandError(
                f"lead_counts found {len(problems)} difference(s) (manage.py lead_counts --rebuild repairs them).",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("Lead counts verified: the kept counts equal the leads."))
