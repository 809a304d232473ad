"""The Metro 2 file from the database: which loans it reports and with what, the queries it takes, the
metro2_file command, and the managers' page and download (/staff/reports/metro2/)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from origination.demo import _clock
from origination.models import Borrower
from servicing.demo_nightly import board_demo_mortgage
from servicing.metro2 import layout
from servicing.metro2.file import Metro2Summary
from servicing.metro2.records import record_fields
from servicing.models import DelinquencyHistory, Forbearance, LoanAccount, Metro2File, ReportedConsumer
from servicing.selectors.metro2 import metro2_accounts, metro2_file_lines, metro2_summary
from servicing.services.metro2 import metro2_file_build
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
PAGE = "/staff/reports/metro2/"
NOVEMBER = date(2026, 11, 1)  # the factories' loans are disbursed 2026-11-13


@pytest.fixture(autouse=True)
def _today():
    """Today is 2026-12-07: November is the month just closed, December the month in progress."""
    with _clock(timezone.make_aware(datetime.combine(date(2026, 12, 7), time(10, 0)))):
        yield


def _late(loan: LoanAccount) -> None:
    """Oldest unpaid due 2026-10-30 (as if): 1 day past due at the close of 10-31, 31 at 11-30."""
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=date(2026, 10, 31),
        days_past_due=1,
        bucket_from="current",
        bucket_to="1-29",
        status_from="current",
        status_to="delinquent",
    )
    LoanAccount.objects.filter(pk=loan.pk).update(
        days_past_due=31, delinquency_as_of=date(2026, 11, 30), amount_to_bring_current=Decimal("2100.55")
    )


def _transfer(number: str) -> LoanAccount:
    return board_demo_mortgage(
        number=number,
        borrower_name="Casey Transfer",
        note=Decimal("200000.00"),
        rate=Decimal("6.0000"),
        payments_made=10,
        next_due=date(2026, 11, 1),
        escrow=(Decimal("900.00"), Decimal("300.00")),
        actor=None,
    )


def _records(month: date = NOVEMBER) -> dict[str, dict[str, str]]:
    lines = [line.rstrip("\n") for line in metro2_file_lines(month=month, summary=Metro2Summary(end=month))]
    bases = [record_fields(layout.BASE, line) for line in lines[1:-1]]
    return {fields["consumer_account_number"].strip(): fields for fields in bases}


def test_urls():
    assert reverse("metro2:file") == PAGE
    assert reverse("metro2:download", args=[7]) == "/staff/reports/metro2/7/download/"


def test_originated_loans_report_their_primary_borrower_and_status():
    current = boarded_loan()
    late = boarded_loan()
    _late(late)
    records = _records()
    assert set(records) == {current.loan_number, late.loan_number}
    one = records[current.loan_number]
    borrower = Borrower.objects.get(application=current.application)
    assert one["account_status"] == "11"
    assert one["portfolio_type"] + one["account_type"] == "M26"
    assert one["date_opened"] == "11132026"
    assert one["highest_credit"] == "000300000"
    assert one["surname"].strip() == borrower.last_name.upper()
    assert one["social_security_number"] == "123456789"  # stored as 123-45-6789, digits only
    assert one["date_of_birth"] == "05171985"
    assert one["address_line_1"].strip() == "12 ELM STREET"
    assert one["postal_code"] == "62701    "
    assert one["payment_history_profile"] == "B" * 24  # opened in November: no earlier month
    assert one["ecoa_code"] == "1"
    behind = records[late.loan_number]
    assert behind["account_status"] == "71"  # 31 days past due at the close of 11-30
    assert behind["amount_past_due"] == "000002100"
    assert behind["date_of_first_delinquency"] == "11292026"  # 11-30 - (31 - 30) days


def test_consumer_loans_are_installment_unsecured_and_business_loans_are_not_reported():
    consumer = boarded_loan(consumer=True)
    business = boarded_loan(product=LoanProductFactory(kind="business", code="biz-term"))
    records = _records()
    assert records[consumer.loan_number]["portfolio_type"] + records[consumer.loan_number]["account_type"] == "I01"
    assert business.loan_number not in records


def test_a_transfer_without_a_reported_consumer_is_withheld_and_with_one_is_reported_with_its_forbearance():
    bare = _transfer("XFER-1")
    kept = _transfer("XFER-2")
    ReportedConsumer.objects.create(
        loan=kept,
        surname="Transfer",
        first_name="Casey",
        ssn="900-12-3456",
        date_of_birth=date(1979, 2, 3),
        address_line1="9 Oak Lane",
        city="Peoria",
        state="IL",
        postal_code="61602-1234",
        co_borrowers=1,
    )
    Forbearance.objects.create(
        loan=kept,
        first_due=date(2026, 11, 1),
        last_due=date(2027, 1, 1),
        months=3,
        reduced_payment=Decimal("0.00"),
        starts_on=date(2026, 11, 1),
        created_by=user_with_role(roles.COLLECTOR),
    )
    summary = metro2_summary(month=NOVEMBER)
    assert [a.account_number for a in summary.withheld] == ["XFER-1"]
    assert [e.field for e in summary.withheld[0].errors] == ["consumer"]
    assert bare.pk == summary.withheld[0].loan_id
    record = _records()["XFER-2"]
    assert record["special_comment"] == "CP"
    assert record["ecoa_code"] == "2"
    assert record["postal_code"] == "616021234"
    assert record["social_security_number"] == "900123456"


def test_a_loan_paid_off_before_the_month_is_not_reported_and_one_paid_in_it_is_13():
    before = boarded_loan()
    during = boarded_loan()
    LoanAccount.objects.filter(pk=before.pk).update(status="paid_off", paid_off_on=date(2026, 11, 20))
    LoanAccount.objects.filter(pk=during.pk).update(status="paid_off", paid_off_on=date(2026, 12, 3))
    december = _records(date(2026, 12, 1))
    assert before.loan_number not in december
    assert december[during.loan_number]["account_status"] == "13"
    assert december[during.loan_number]["date_closed"] == "12032026"


def _queries(month: date) -> int:
    with CaptureQueriesContext(connection) as captured:
        list(metro2_accounts(month=month))
    return len(captured)


def test_queries_do_not_grow_with_the_loans():
    late = boarded_loan()
    _late(late)
    one = _queries(NOVEMBER)
    boarded_loan()
    other = boarded_loan(consumer=True)
    _late(other)
    _transfer("XFER-9")
    assert _queries(NOVEMBER) == one == 8  # loans, borrowers, history, payments, recoveries, plans x2, the end


def _made(month: date = NOVEMBER, actor=None) -> Metro2File:
    made = Metro2File.objects.create(month=month, requested_by=actor)
    built = metro2_file_build(file_id=made.pk)
    assert built is not None
    return built


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if r not in (roles.MANAGER, roles.ACCOUNTING)])
def test_only_managers_and_accounting(client, role):
    made = _made()
    client.force_login(user_with_role(role))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"month": "2026-11"}).status_code == 403
    assert client.get(reverse("metro2:download", args=[made.pk])).status_code == 403
    assert Metro2File.objects.count() == 1


@pytest.mark.parametrize("url", [PAGE, "/staff/reports/metro2/1/download/"])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [roles.MANAGER, roles.ACCOUNTING])
def test_asking_for_a_month_makes_its_file_in_the_background_and_the_page_summarises_it(
    client, role, django_capture_on_commit_callbacks
):
    current = boarded_loan()
    late = boarded_loan()
    _late(late)
    _transfer("XFER-1")
    user = user_with_role(role)
    client.force_login(user)
    assert 'data-testid="metro2-month-form"' in client.get(PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(PAGE, {"month": "2026-11"})
    assert len(callbacks) == 1  # the build task, once the request committed
    made = Metro2File.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?file={made.pk}"
    assert (made.status, made.month, made.end, made.requested_by) == ("ready", NOVEMBER, date(2026, 11, 30), user)
    assert (made.base_records, made.withheld_count) == (2, 1)
    html = client.get(response["Location"]).content.decode()
    assert "November 2026: 2 accounts reported, as of Nov 30, 2026" in html
    assert '<td>11 · Current</td><td class="text-end">1</td>' in html
    assert '<td>71 · 30-59 days past due</td><td class="text-end">1</td>' in html
    assert "1 loan withheld from the file" in html
    assert f'<a href="/staff/servicing/loans/{LoanAccount.objects.get(loan_number="XFER-1").pk}/">XFER-1</a>' in html
    assert f'href="/staff/reports/metro2/{made.pk}/download/" data-testid="metro2-download"' in html

    download = client.get(reverse("metro2:download", args=[made.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="metro2_2026_11.txt"'
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == made.sha256
    lines = body.decode().splitlines()
    assert [len(line) for line in lines] == [426] * 4
    assert lines[0][4:10] == "HEADER"
    assert sorted(line[42:72].strip() for line in lines[1:3]) == sorted([current.loan_number, late.loan_number])
    assert record_fields(layout.TRAILER, lines[3])["total_base_records"] == "000000002"
    assert list(AuditEvent.objects.filter(verb__startswith="metro2.").order_by("id").values_list("verb", "actor")) == [
        ("metro2.file_requested", user.pk),
        ("metro2.file_made", None),
        ("metro2.file_download", user.pk),
    ]


def test_a_double_submit_finds_the_file_being_made(client, django_capture_on_commit_callbacks):
    client.force_login(user_with_role(roles.MANAGER))
    with django_capture_on_commit_callbacks(execute=False):  # the task has not run yet
        first = client.post(PAGE, {"month": "2026-11"})
        second = client.post(PAGE, {"month": "2026-11"})
    made = Metro2File.objects.get()
    assert first["Location"] == second["Location"] == f"{PAGE}?file={made.pk}"
    assert made.status == "pending"
    page = client.get(first["Location"]).content.decode()
    assert "The file of November 2026 is being made; reload this page in a minute." in page
    assert 'data-testid="metro2-download"' not in page
    assert client.get(reverse("metro2:download", args=[made.pk])).status_code == 404


def test_building_again_changes_nothing():
    boarded_loan()
    made = _made()
    again = metro2_file_build(file_id=made.pk)
    assert (again.status, again.sha256, again.file.name) == ("ready", made.sha256, made.file.name)
    assert AuditEvent.objects.filter(verb="metro2.file_made").count() == 1


def test_a_failed_build_is_kept_with_its_reason_and_no_file(client, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("servicing.services.metro2.metro2_file_lines", broken)
    made = _made()
    assert (made.status, made.file.name, made.error) == ("failed", "", "RuntimeError: the disk is full")
    client.force_login(user_with_role(roles.MANAGER))
    html = client.get(PAGE, {"file": made.pk}).content.decode()
    assert "The file of November 2026 could not be made: RuntimeError: the disk is full" in html


@pytest.mark.parametrize(
    ("month", "error"),
    [("2026-13", "Enter a valid date."), ("nope", "Enter a valid date."), ("2999-01", "That month has not begun.")],
)
def test_a_bad_month_is_a_form_error(client, month, error):
    client.force_login(user_with_role(roles.MANAGER))
    response = client.post(PAGE, {"month": month})
    assert response.status_code == 400
    assert f'<div class="col-12 text-danger small" data-testid="metro2-month-errors">{error}</div>' in (
        response.content.decode()
    )
    assert not Metro2File.objects.exists()


def test_the_reports_index_lists_the_metro2_file_for_managers_and_accounting(client):
    client.force_login(user_with_role(roles.ACCOUNTING))
    assert 'href="/staff/reports/metro2/"' in client.get("/staff/reports/").content.decode()


def test_command_writes_the_file_and_lists_what_it_withheld(tmp_path):
    boarded_loan()
    _transfer("XFER-1")
    out, err = StringIO(), StringIO()
    target = tmp_path / "m2.txt"
    call_command("metro2_file", "--month", "2026-11", "--output", str(target), stdout=out, stderr=err)
    lines = target.read_text().splitlines()
    assert [len(line) for line in lines] == [426] * 3
    assert "XFER-1: consumer: the loan has no borrower to report (name, address, SSN or birth date) (withheld)" in (
        err.getvalue()
    )
    assert f"Metro 2 file of 2026-11: 1 account written to {target}, 1 withheld." in err.getvalue()
    assert "123456789" not in err.getvalue()
    call_command("metro2_file", "--month", "2026-11", stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines()[1][42:72].strip() == lines[1][42:72].strip()
    with pytest.raises(CommandError, match="is not a month as YYYY-MM"):
        call_command("metro2_file", "--month", "11/2026")
