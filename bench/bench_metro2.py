"""The monthly Metro 2 file of the 100,000-loan bench portfolio: records per second, queries and peak memory.

Issue 14 sets no target for this file (a monthly batch); the target here is this bench's own: the 100,000-loan
file in a minute (1,667 accounts a second), since the managers' page reads the whole file for its summary.
The bench loans are servicing transfers with a name only, so each gets a reported consumer (birth date and
address, no SSN) here, set-based; rolled back at the end.
Needs PostgreSQL (`make bench` starts one).
"""

from __future__ import annotations

import resource
import time

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import ensure_portfolio  # noqa: E402
from servicing.metro2.accounts import months_back  # noqa: E402
from servicing.metro2.file import Metro2Summary  # noqa: E402
from servicing.selectors.metro2 import metro2_end, metro2_file_lines  # noqa: E402

TARGET_ROWS_PER_SECOND = 1_667  # 100,000 accounts in 60 s
CONSUMERS = """
    INSERT INTO servicing_reportedconsumer (loan_id, surname, first_name, middle_name, generation_code, ssn,
        date_of_birth, phone, address_line1, address_line2, city, state, postal_code, co_borrowers)
    SELECT l.id, 'Borrower', 'Pat', '', '', '', DATE '1980-01-01' + (l.id % 9000)::int, '', l.id || ' Bench Street', '',
        'Springfield', 'IL', '62701', 0
    FROM servicing_loanaccount l
    WHERE l.application_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM servicing_reportedconsumer r WHERE r.loan_id = l.id)
"""


class Rollback(Exception):
    pass


def main() -> None:
    if not is_postgres():
        print("metro2: skipped, the seeder needs PostgreSQL (`make bench` starts one)")
        return
    ensure_portfolio()
    month = months_back(timezone.localdate(), 1)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(CONSUMERS)
            summary = Metro2Summary(end=metro2_end(month))
            memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            begin = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                size = sum(len(line) for line in metro2_file_lines(month=month, summary=summary))
            seconds = time.perf_counter() - begin
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
            accounts = summary.base_records + summary.withheld_count
            note = (
                f"{accounts:,} accounts in {seconds:.1f}s, {summary.withheld_count:,} withheld, {size / 1e6:.0f} MB, "
                f"{len(queries)} queries, peak memory +{grown:.0f} MB"
            )
            report(
                "Metro 2 file: accounts per second",
                accounts / seconds,
                "accounts/s",
                TARGET_ROWS_PER_SECOND,
                higher_is_better=True,
                note=note,
            )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
