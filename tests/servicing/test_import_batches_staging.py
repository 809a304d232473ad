"""Staging a file (``batch_stage``): every row kept as a line with its status, the batch's counts and the total of
its valid lines, the file's name and digest, who uploaded it, and the ``import.staged`` audit row, exactly."""

import hashlib
from decimal import Decimal as D

import pytest

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.services.import_batches import batch_stage
from tests.core.factories import user_with_role
from tests.servicing.import_batches_toy import ToyFile

pytestmark = pytest.mark.django_db
FILE = (
    "ref,amount,note\n"
    "A,10.50\n"  # 2: valid
    "B,abc\n"  # 3: an error found by the format's checks
    "\n"  # 4: blank, skipped
    "A,3.00\n"  # 5: a duplicate of line 2
    "C,\n"  # 6: valid, no amount
    "D,2.25\n"  # 7: valid
    "E,1.00,n,extra\n"  # 8: an error found on reading (never given to the format)
)


def _stage(text=FILE, *, actor=None, name="toy.csv", fmt=None):
    return batch_stage(fmt=fmt or ToyFile(), file_name=name, content=text, actor=actor)


def _lines(batch):
    return [(line.line_number, line.status, line.message, line.parsed) for line in batch.lines.order_by("line_number")]


def _figures(batch):
    batch.refresh_from_db()
    return (
        batch.status,
        batch.line_count,
        batch.valid_count,
        batch.error_count,
        batch.posted_count,
        batch.duplicate_count,
        batch.valid_total,
        batch.posted_total,
    )


def test_staging_keeps_every_row_as_a_line_and_counts_and_totals_them_exactly():
    servicer = user_with_role(roles.SERVICER)
    fmt = ToyFile()
    batch = _stage(actor=servicer, fmt=fmt)
    assert fmt.checked == [[2, 3], [5, 6], [7]]  # chunk by chunk, the rows already in error left out
    assert _lines(batch) == [
        (2, "valid", "", {"ref": "A", "amount": "10.50"}),
        (3, "error", "amount: 'abc' is not an amount (write it like 1234.56)", {}),
        (5, "duplicate", "A is line 2's", {"ref": "A", "amount": "3.00"}),
        (6, "valid", "", {"ref": "C"}),
        (7, "valid", "", {"ref": "D", "amount": "2.25"}),
        (8, "error", "row: 4 values for 3 columns", {}),
    ]
    assert _figures(batch) == ("staged", 6, 3, 2, 0, 1, D("12.75"), D("0.00"))
    assert (batch.kind, batch.file_name, batch.uploaded_by, batch.committed_by, batch.committed_at) == (
        "payment",
        "toy.csv",
        servicer,
        None,
        None,
    )
    assert batch.sha256 == hashlib.sha256(FILE.encode()).hexdigest()
    event = AuditEvent.objects.get()
    assert (event.verb, event.actor, event.target_id, event.target_type.model, event.before) == (
        "import.staged",
        servicer,
        str(batch.pk),
        "importbatch",
        {},
    )
    assert event.after == {
        "kind": "payment",
        "file_name": "toy.csv",
        "sha256": batch.sha256,
        "lines": 6,
        "valid": 3,
        "errors": 2,
        "posted": 0,
        "duplicates": 1,
        "valid_total": "12.75",
        "posted_total": "0",
    }


def test_a_file_of_valid_lines_only_counts_no_error_no_duplicate_and_nothing_posted():
    batch = _stage("ref,amount\nA,1.00\nB,2.00\nC,0.01\n")
    assert _figures(batch) == ("staged", 3, 3, 0, 0, 0, D("3.01"), D("0.00"))
    assert AuditEvent.objects.get().after["duplicates"] == 0


@pytest.mark.parametrize(
    ("name", "kept"),
    [("", "upload.csv"), ("n" * 300, "n" * 255), ("lock\x00box.csv", "lockbox.csv")],
)
def test_the_file_name_is_kept_without_nul_cut_to_255_characters_or_upload_csv_when_none(name, kept):
    assert _stage(name=name).file_name == kept


def test_an_actor_not_saved_as_a_user_is_not_recorded_as_the_uploader():
    batch = _stage(actor=User(email="nobody@lending.test"))
    batch.refresh_from_db()
    assert batch.uploaded_by is None
