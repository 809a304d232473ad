"""NACHA files made and recorded as sent (``servicing.services.ach_files``): a debit goes in one file only, a
second file of the day holds only what the first did not, each file made on a day takes the next File ID
Modifier, a file downloads again byte for byte, and a debit in a file can no longer be cancelled."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import AchFile, LoanTransaction, PendingPayment
from servicing.services import ach, ach_files
from servicing.services.ach import AchError
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import TODAY, ach_schedule, borrower_loan, set_today

pytestmark = pytest.mark.django_db
D = Decimal
SETTLES = date(2026, 12, 3)  # Thursday: what is scheduled on Wednesday 2026-12-02 settles then
MADE = datetime(2026, 12, 2, 16, 30, tzinfo=ZoneInfo("America/New_York"))
PENDING_CHANGELIST = "admin:servicing_pendingpayment_changelist"
FILE_CHANGELIST = "admin:servicing_achfile_changelist"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)
    monkeypatch.setattr(ach_files, "_now", lambda: MADE)


@pytest.fixture
def loan():
    return borrower_loan()


def _records(text: str) -> list[str]:
    return text.removesuffix("\n").split("\n")


def _entry_amounts(text: str) -> list[str]:
    return [record[29:39] for record in _records(text) if record.startswith("6")]


def test_a_file_holds_the_days_debits_and_marks_each_as_sent(loan):
    first = ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    second = ach_schedule(loan, "250.25", "b", when=TODAY + timedelta(days=1))
    later = ach_schedule(loan, "100.00", "c", when=TODAY + timedelta(days=2))  # settles Friday
    staff = user_with_role(roles.SERVICER)

    made = ach_files.ach_file_create(settlement_date=SETTLES, actor=staff)

    assert (made.settlement_date, made.created_on, made.file_id_modifier) == (SETTLES, date(2026, 12, 2), "A")
    assert (made.entry_count, made.total, made.created_by) == (2, D("750.25"), staff)
    assert _entry_amounts(made.content) == ["0000050000", "0000025025"]
    assert _records(made.content)[0][33] == "A"  # File Header: the File ID Modifier
    assert _records(made.content)[0][23:33] == "2612021630"  # File Header: creation date and time
    assert made.download_name == "ach-2026-12-03-20261202A.txt"
    assert sorted(PendingPayment.objects.filter(ach_file=made).values_list("pk", flat=True)) == [first.pk, second.pk]
    assert PendingPayment.objects.get(pk=later.pk).ach_file is None
    event = AuditEvent.objects.get(verb="ach_file.created")
    assert (event.actor, event.target_id) == (staff, str(made.pk))
    assert event.after == {
        "settlement_date": "2026-12-03",
        "file_id_modifier": "A",
        "entry_count": 2,
        "total": "750.25",
        "payments": [first.pk, second.pk],
    }
    # Making a file moves no money: the debits post when they settle.
    assert set(PendingPayment.objects.values_list("status", flat=True)) == {"pending"}
    assert LoanTransaction.objects.count() == 0


def test_a_second_file_of_the_day_holds_only_what_the_first_did_not(loan):
    ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    ach_files.ach_file_create(settlement_date=SETTLES, actor=None)
    with pytest.raises(AchError, match=r"^there is no ACH debit settling 2026-12-03 that is not already in a file$"):
        ach_files.ach_file_create(settlement_date=SETTLES, actor=None)
    assert AchFile.objects.count() == 1

    late = ach_schedule(loan, "75.10", "b", when=TODAY + timedelta(days=1))
    again = ach_files.ach_file_create(settlement_date=SETTLES, actor=None)

    assert (again.file_id_modifier, again.entry_count, again.total) == ("B", 1, D("75.10"))
    assert _entry_amounts(again.content) == ["0000007510"]
    assert list(PendingPayment.objects.filter(ach_file=again).values_list("pk", flat=True)) == [late.pk]


def test_a_selection_with_a_debit_already_sent_is_refused_and_writes_nothing(loan):
    sent = ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    fresh = ach_schedule(loan, "20.00", "b", when=TODAY + timedelta(days=1))
    first = ach_files.ach_file_create(settlement_date=SETTLES, actor=None, payment_ids=[sent.pk])

    message = (
        f"^ACH {sent.pk} is already in file {first.pk} \\(A, made 2026-12-02\\): download that file again from "
        "ACH files$"
    )
    with pytest.raises(AchError, match=message):
        ach_files.ach_file_create(settlement_date=SETTLES, actor=None, payment_ids=[sent.pk, fresh.pk])

    assert AchFile.objects.count() == 1
    assert PendingPayment.objects.get(pk=fresh.pk).ach_file is None
    assert not AuditEvent.objects.filter(verb="ach_file.created", target_id=str(first.pk + 1)).exists()


def test_a_selection_must_settle_that_day_and_be_a_debit_to_send(loan):
    other_day = ach_schedule(loan, "100.00", "a", when=TODAY + timedelta(days=2))
    cancelled = ach_schedule(loan, "30.00", "b", when=TODAY + timedelta(days=1))
    ach.ach_payment_cancel(pending=cancelled, actor=loan.borrower)

    with pytest.raises(AchError, match=f"^ACH {other_day.pk} \\(pending\\) is not a debit settling 2026-12-03$"):
        ach_files.ach_file_create(settlement_date=SETTLES, actor=None, payment_ids=[other_day.pk])
    with pytest.raises(AchError, match=f"^ACH {cancelled.pk} \\(cancelled\\) is not a debit settling 2026-12-03$"):
        ach_files.ach_file_create(settlement_date=SETTLES, actor=None, payment_ids=[cancelled.pk])
    with pytest.raises(AchError, match=r"^a selected payment no longer exists$"):
        ach_files.ach_file_create(settlement_date=SETTLES, actor=None, payment_ids=[other_day.pk + 1000])
    assert not AchFile.objects.exists()


def test_a_chosen_file_id_modifier_must_be_free_that_day(loan):
    ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    ach_schedule(loan, "100.00", "b", when=TODAY + timedelta(days=2))
    made = ach_files.ach_file_create(settlement_date=SETTLES, actor=None, file_id_modifier="7")
    assert made.file_id_modifier == "7"
    assert _records(made.content)[0][33] == "7"

    with pytest.raises(AchError, match=r"^file id modifier 7 is already used by a file made 2026-12-02$"):
        ach_files.ach_file_create(settlement_date=date(2026, 12, 4), actor=None, file_id_modifier="7")
    with pytest.raises(AchError, match=r"^the file id modifier is one letter \(A-Z\) or digit$"):
        ach_files.ach_file_create(settlement_date=date(2026, 12, 4), actor=None, file_id_modifier="a")
    # The next free one is A: 7 is taken, A is not.
    assert ach_files.ach_file_create(settlement_date=date(2026, 12, 4), actor=None).file_id_modifier == "A"


def test_when_every_file_id_modifier_of_the_day_is_used_no_file_is_made(loan):
    AchFile.objects.bulk_create(
        AchFile(
            settlement_date=SETTLES,
            created_on=MADE.date(),
            file_id_modifier=modifier,
            entry_count=1,
            total=D("1.00"),
            content="",
        )
        for modifier in ach_files.MODIFIERS
    )
    pending = ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    with pytest.raises(AchError, match=r"^all 36 file id modifiers of 2026-12-02 are used$"):
        ach_files.ach_file_create(settlement_date=SETTLES, actor=None)
    assert PendingPayment.objects.get(pk=pending.pk).ach_file is None


def test_a_debit_in_a_file_can_no_longer_be_cancelled(loan):
    pending = ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    ach_files.ach_file_create(settlement_date=SETTLES, actor=None)
    with pytest.raises(AchError, match=r"^this payment has been sent to the bank and can no longer be cancelled$"):
        ach.ach_payment_cancel(pending=pending, actor=loan.borrower)
    assert PendingPayment.objects.get(pk=pending.pk).status == "pending"
    assert not AuditEvent.objects.filter(verb="ach_payment.cancelled").exists()


def test_the_portal_shows_a_sent_debit_without_its_cancel_button(client, loan):
    sent = ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    unsent = ach_schedule(loan, "100.00", "b", when=TODAY + timedelta(days=2))
    ach_files.ach_file_create(settlement_date=SETTLES, actor=None)
    client.force_login(loan.borrower)
    page = client.get(reverse("servicing_portal:loan-detail", args=[loan.pk])).content.decode()
    sent_cancel = reverse("servicing_portal:loan-pay-cancel", args=[loan.pk, sent.pk])
    unsent_cancel = reverse("servicing_portal:loan-pay-cancel", args=[loan.pk, unsent.pk])
    assert f'action="{sent_cancel}"' not in page
    assert f'action="{unsent_cancel}"' in page
    assert page.count('<span class="small text-muted" data-testid="pending-sent">Sent to your bank</span>') == 1
    refused = client.post(sent_cancel)
    assert refused.status_code == 409
    assert (
        '<div class="alert alert-warning" role="alert" data-testid="refused">The payment cannot be cancelled: this '
        "payment has been sent to the bank and can no longer be cancelled.</div>" in refused.content.decode()
    )
    assert PendingPayment.objects.get(pk=sent.pk).status == "pending"


def test_the_admin_action_records_the_file_and_refuses_a_second_one_of_the_same_debits(client, loan):
    first = ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    second = ach_schedule(loan, "250.00", "b", when=TODAY + timedelta(days=1))
    client.force_login(user_with_role(roles.SERVICER))
    post = {"action": "nacha_file", "_selected_action": [first.pk, second.pk], "index": 0}

    response = client.post(reverse(PENDING_CHANGELIST), post)

    made = AchFile.objects.get()
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ach-2026-12-03-20261202A.txt"'
    assert response.content.decode("ascii") == made.content
    again = client.post(reverse(PENDING_CHANGELIST), post, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        f"No NACHA file was made: ACH {first.pk} is already in file {made.pk} (A, made 2026-12-02): download "
        "that file again from ACH files."
    ]
    assert AchFile.objects.count() == 1


def test_a_file_downloads_again_byte_for_byte_for_servicers_only(client, loan):
    ach_schedule(loan, "500.00", "a", when=TODAY + timedelta(days=1))
    made = ach_files.ach_file_create(settlement_date=SETTLES, actor=None)
    post = {"action": "download_again", "_selected_action": [made.pk], "index": 0}
    for role in (roles.SERVICER, roles.MANAGER):
        client.force_login(user_with_role(role))
        listing = client.get(reverse(FILE_CHANGELIST))
        assert listing.status_code == 200
        response = client.post(reverse(FILE_CHANGELIST), post)
        assert response.status_code == 200
        assert response.content == made.content.encode("ascii")
        assert response["Content-Disposition"] == 'attachment; filename="ach-2026-12-03-20261202A.txt"'
    client.force_login(user_with_role(roles.LOAN_OFFICER, is_staff=True))
    assert client.get(reverse(FILE_CHANGELIST)).status_code == 403
    assert client.post(reverse(FILE_CHANGELIST), post).status_code == 403
    for user in (user_with_role(roles.COLLECTOR), loan.borrower):
        client.force_login(user)
        assert client.get(reverse(FILE_CHANGELIST), follow=True).status_code == 403  # the admin's login refuses them
        refused = client.post(reverse(FILE_CHANGELIST), post)
        assert (refused.status_code, refused["Location"]) == (302, "/admin/login/?next=/admin/servicing/achfile/")
    # Downloading again writes nothing: the one file, its debit and its one audit row as they were.
    assert list(AchFile.objects.values_list("pk", "content")) == [(made.pk, made.content)]
    assert AuditEvent.objects.filter(verb="ach_file.created").count() == 1


def test_the_command_makes_records_and_writes_a_file_again(loan, tmp_path):
    ach_schedule(loan, "1500.00", "a", when=TODAY + timedelta(days=1))
    out = StringIO()
    call_command("ach_file", "--date", "2026-12-03", stdout=out)
    made = AchFile.objects.get()
    assert out.getvalue() == made.content
    assert _entry_amounts(made.content) == ["0000150000"]
    assert made.created_by is None

    with pytest.raises(CommandError, match=r"^No NACHA file was made: there is no ACH debit settling 2026-12-03 that"):
        call_command("ach_file", "--date", "2026-12-03", stdout=StringIO())
    target = tmp_path / "again.ach"
    err = StringIO()
    call_command("ach_file", "--again", str(made.pk), "--output", str(target), stderr=err)
    assert target.read_text(encoding="ascii") == made.content
    assert err.getvalue() == f"Wrote {target}: ACH file {made.pk} (A), 1 entry settling 2026-12-03.\n"
    with pytest.raises(CommandError, match=f"^--again: there is no ACH file {made.pk + 1}.$"):
        call_command("ach_file", "--again", str(made.pk + 1), stdout=StringIO())
    assert AchFile.objects.count() == 1
