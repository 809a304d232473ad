"""The demo leaves notices on its loans after `make run`: the returned ACH payment and the late fee on DEMO-DQ-001
and the escrow payment change on DEMO-CUR-001, made by the services' own hooks during the demo nights (the demo adds
nothing for them), each once. Transferred loans have no e-consent on file: they go to paper."""

from datetime import date, datetime, time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from origination.demo import _clock
from servicing.models import BorrowerDocument, PendingPayment

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: the notices are made on commit
Kind = BorrowerDocument.Kind


def test_the_demo_nights_leave_the_return_and_late_fee_notices_once():
    with _clock(timezone.make_aware(datetime.combine(date(2026, 12, 7), time(10, 0)))):
        call_command("seed_demo", stdout=StringIO())
        call_command("seed_demo", stdout=StringIO())  # a second run adds nothing
    returned = PendingPayment.objects.get(status="returned")
    documents = {
        (d.kind, d.key)
        for d in BorrowerDocument.objects.filter(
            loan__loan_number="DEMO-DQ-001", kind__in=[Kind.ACH_RETURNED, Kind.LATE_FEE]
        )
    }
    fee_key = str(returned.loan.fees.get(kind="late_fee").pk)
    assert documents == {(Kind.ACH_RETURNED, str(returned.pk)), (Kind.LATE_FEE, fee_key)}
    assert BorrowerDocument.objects.filter(loan__loan_number="DEMO-DQ-001", kind=Kind.ACH_RETURNED).count() == 1
    # The current escrowed loan's first analysis changes its escrow payment: its notice too.
    assert BorrowerDocument.objects.filter(loan__loan_number="DEMO-CUR-001", kind=Kind.ESCROW_CHANGE).count() == 1
