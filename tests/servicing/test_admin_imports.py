"""The import screens in the admin: upload -> validated preview -> commit, for payment files and servicing
transfers; file-level errors on the form; who may import; a preview whose query count does not grow with lines."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lending.core import roles
from servicing.models import ImportBatch, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.imports import payment_import_stage
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount, text_by_testid
from tests.servicing.factories import boarded_loan
from tests.servicing.test_boarding_transfer import csv_file

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
HEADER = "loan_number,amount,effective_date,reference\n"
UPLOAD = reverse("admin:servicing_importbatch_upload")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan(consumer=True)


@pytest.fixture
def servicer(client):
    user = user_with_role(roles.SERVICER)
    client.force_login(user)
    return user


def upload(client, text, kind="payment", name="lockbox.csv"):
    return client.post(UPLOAD, {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def preview_url(batch):
    return reverse("admin:servicing_importbatch_preview", args=[batch.pk])


def commit_url(batch):
    return reverse("admin:servicing_importbatch_commit", args=[batch.pk])


def test_upload_preview_commit_and_upload_again(client, servicer, loan):
    assert client.get(UPLOAD + "?kind=payment").status_code == 200
    text = HEADER + f"{loan.loan_number},100.00,2026-12-01,A1\nL-NOPE,5.00,2026-12-01,A2\n"
    response = upload(client, text)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(batch)
    html = client.get(preview_url(batch)).content.decode()
    assert "no loan L-NOPE" in html
    assert "Commit 1 valid line" in html
    assert text_by_testid(html, "valid-total") == "$100.00"  # the total of the valid lines
    response = client.post(commit_url(batch), follow=True)
    assert response.status_code == 200
    assert_amount(response.content.decode(), "Committed: 1 posted ($100.00), 0 already posted, 1 with errors.")
    assert LoanTransaction.objects.get().posted_by == servicer

    upload(client, text)
    again = ImportBatch.objects.exclude(pk=batch.pk).get()
    html = client.get(preview_url(again)).content.decode()
    assert "Already posted" in html
    assert "Commit" not in html.split('id="import-lines"')[0]  # nothing valid left to commit
    client.post(commit_url(again))
    assert LoanTransaction.objects.count() == 1


def test_an_unreadable_file_is_a_form_error(client, servicer):
    response = upload(client, "loan_number,amount\nx,1\n")
    assert response.status_code == 400
    assert "missing column(s): effective_date, reference" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_a_servicing_transfer_through_the_admin(client, servicer):
    response = upload(client, csv_file({}, {"loan_number": "T-2", "principal": "x"}), kind="boarding")
    batch = ImportBatch.objects.get()
    assert batch.kind == "boarding"
    assert response.status_code == 302
    html = client.get(preview_url(batch)).content.decode()
    assert "289 installments left" in html
    assert "principal: &#x27;x&#x27; is not an amount" in html
    client.post(commit_url(batch))
    assert LoanAccount.objects.get().loan_number == "T-1001"


def test_the_preview_filters_by_status_and_pages(client, servicer, loan):
    rows = "".join(f"{loan.loan_number},1.00,2026-12-01,R{i}\n" for i in range(120)) + "L-X,1.00,2026-12-01,BAD\n"
    batch = payment_import_stage(file_name="big.csv", content=HEADER + rows, actor=None)
    errors = client.get(preview_url(batch) + "?status=error").content.decode()
    # The filtered page lists the one error line (122: after the header and the 120 good lines), not a good one.
    # Counted by the table's line rows, not by a substring of the page (a CSRF token may contain "R5").
    assert re.findall(r'<tr class="line-(\w+)">\s*<td>(\d+)</td>', errors) == [("error", "122")]
    assert "no loan L-X" in errors
    second = client.get(preview_url(batch) + "?page=2").content.decode()
    assert "page 2 of 2" in second


def test_the_preview_query_count_does_not_grow_with_lines(client, servicer, loan, django_assert_max_num_queries):
    def staged(n):
        rows = "".join(f"{loan.loan_number},1.00,2026-12-01,Q{n}-{i}\n" for i in range(n))
        return payment_import_stage(file_name="q.csv", content=HEADER + rows, actor=None)

    small, large = staged(3), staged(90)
    client.get(preview_url(small))
    with django_assert_max_num_queries(10) as few:
        client.get(preview_url(small))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(preview_url(large)).status_code == 200


def test_the_batch_list_and_change_page(client, servicer, loan):
    batch = payment_import_stage(
        file_name="l.csv", content=HEADER + f"{loan.loan_number},1.00,2026-12-01,Z\n", actor=None
    )
    html = client.get(reverse("admin:servicing_importbatch_changelist")).content.decode()
    assert "l.csv" in html
    assert "Upload a payment file" in html
    response = client.get(reverse("admin:servicing_importbatch_change", args=[batch.pk]))
    assert response["Location"] == preview_url(batch)


def test_collectors_let_into_the_admin_may_view_but_not_import(client, loan):
    batch = payment_import_stage(
        file_name="c.csv", content=HEADER + f"{loan.loan_number},1.00,2026-12-01,C\n", actor=None
    )
    collector = user_with_role(roles.COLLECTOR)
    collector.is_staff = True
    collector.save(update_fields=["is_staff"])
    client.force_login(collector)
    page = client.get(preview_url(batch))
    assert page.status_code == 200
    assert "Commit" not in page.content.decode().split('id="import-lines"')[0]
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, HEADER + f"{loan.loan_number},1.00,2026-12-01,D\n").status_code == 403
    assert client.post(commit_url(batch)).status_code == 403
    assert LoanTransaction.objects.count() == 0


@pytest.mark.parametrize(("role", "status"), [(roles.SERVICER, 200), (roles.MANAGER, 200)])
def test_servicers_and_managers_may_import(client, loan, role, status):
    client.force_login(user_with_role(role))
    assert client.get(UPLOAD).status_code == status
    assert upload(client, HEADER + f"{loan.loan_number},1.00,2026-12-01,M\n").status_code == 302


@pytest.mark.parametrize("role", [roles.BORROWER, roles.COLLECTOR, roles.UNDERWRITER])
def test_other_roles_are_refused(client, loan, role):
    batch = payment_import_stage(
        file_name="o.csv", content=HEADER + f"{loan.loan_number},1.00,2026-12-01,O\n", actor=None
    )
    client.force_login(user_with_role(role))
    assert client.get(UPLOAD, follow=True).status_code == 403
    assert client.get(preview_url(batch), follow=True).status_code == 403
    assert client.post(commit_url(batch), follow=True).status_code == 403
    assert LoanTransaction.objects.count() == 0


def test_anonymous_visitors_go_to_the_admin_sign_in(client, loan):
    batch = payment_import_stage(
        file_name="a.csv", content=HEADER + f"{loan.loan_number},1.00,2026-12-01,N\n", actor=None
    )
    for url in (UPLOAD, preview_url(batch)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
