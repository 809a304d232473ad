"""The Metro 2 demo: `seed_demo` gives the transferred demo loans a reported consumer, and the month of the demo
nights reports several account statuses, a forbearance and a charge-off; a second run adds nothing."""

from datetime import date, datetime, time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from origination.demo import _clock
from servicing.metro2 import layout
from servicing.metro2.file import Metro2Summary
from servicing.metro2.records import record_fields
from servicing.models import Metro2File, ReportedConsumer
from servicing.selectors.metro2 import metro2_file_lines

pytestmark = pytest.mark.django_db(transaction=True)  # real commits, as `make run` does
TODAY = date(2026, 12, 7)  # a Monday: the demo nights end on Friday 12-04


def test_demo_file_reports_several_statuses():
    with _clock(timezone.make_aware(datetime.combine(TODAY, time(10, 0)))):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        assert (
            "Metro 2 demo: 8 transferred loans given a reported consumer; the 2026-12 file reports 10 accounts "
            "(11 x5, 71 x1, 78 x1, 80 x1, 83 x1, 97 x1): sign in as the manager (or the accountant) and open "
            "/staff/reports/metro2/.\n"
        ) in out.getvalue()
        summary = Metro2Summary(end=TODAY)
        lines = list(metro2_file_lines(month=TODAY, summary=summary))
        again = StringIO()
        call_command("seed_demo", stdout=again)
    assert summary.withheld == []
    records = {
        fields["consumer_account_number"].strip(): fields
        for fields in (record_fields(layout.BASE, line.rstrip("\n")) for line in lines[1:-1])
    }
    assert records["DEMO-DQ-030"]["special_comment"] == "CP"  # in forbearance
    assert records["DEMOCO-001"]["account_status"] == "97"
    assert records["DEMOCO-001"]["date_of_account_information"] == "12072026"  # the month in progress: today
    assert "Metro 2 demo: 0 transferred loans given a reported consumer" in again.getvalue()
    assert ReportedConsumer.objects.count() == 8
    made = Metro2File.objects.get()  # kept, as the background job keeps it; the second run found it
    assert (made.status, made.month, made.base_records, made.withheld_count) == ("ready", date(2026, 12, 1), 10, 0)
