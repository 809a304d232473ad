"""The Metro 2 file from the database: which loans it reports and with what, the queries it takes, the
metro2_file command, and the managers' page and download (/staff/reports/metro2/)."""

from __future__ import annotations

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
from servicing.models import DelinquencyHistory, Forbearance, LoanAccount, ReportedConsumer
from servicing.selectors.metro2 import metro2_accounts, metro2_file_lines, metro2_summary
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
PAGE = "/staff/reports/metro2/"
DOWNLOAD = "/staff/reports/metro2/download/"
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
    assert reverse("metro2:download") == DOWNLOAD


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


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if r != roles.MANAGER])
def test_only_managers(client, role):
    client.force_login(user_with_role(role))
    assert client.get(PAGE, {"month": "2026-11"}).status_code == 403
    assert client.get(DOWNLOAD, {"month": "2026-11"}).status_code == 403


@pytest.mark.parametrize("url", [PAGE, DOWNLOAD])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_page_summarises_and_download_streams_the_file(client):
    current = boarded_loan()
    late = boarded_loan()
    _late(late)
    _transfer("XFER-1")
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    page = client.get(PAGE, {"month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "November 2026: 2 accounts reported" in html
    assert '<td>11 · Current</td><td class="text-end">1</td>' in html
    assert '<td>71 · 30-59 days past due</td><td class="text-end">1</td>' in html
    assert "1 loan withheld from the file" in html
    assert f'<a href="/staff/servicing/loans/{LoanAccount.objects.get(loan_number="XFER-1").pk}/">XFER-1</a>' in html
    assert 'data-testid="metro2-download"' in html

    response = client.get(DOWNLOAD, {"month": "2026-11"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="metro2_2026_11.txt"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [len(line) for line in lines] == [426] * 4
    assert lines[0][4:10] == "HEADER"
    assert sorted(line[42:72].strip() for line in lines[1:3]) == sorted([current.loan_number, late.loan_number])
    assert record_fields(layout.TRAILER, lines[3])["total_base_records"] == "000000002"
    event = AuditEvent.objects.get(verb="metro2.file_download")
    assert event.actor == manager
    assert event.after == {"month": "2026-11"}


@pytest.mark.parametrize("month", ["2026-13", "nope", "2999-01"])
def test_a_bad_month_is_a_form_error(client, month):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(PAGE, {"month": month}).status_code == 400
    assert client.get(DOWNLOAD, {"month": month}).status_code == 400


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
