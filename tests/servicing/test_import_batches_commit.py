"""Committing a staged batch (``batch_commit``): each valid line in file order, chunk by chunk, a refused line
recorded on that line word for word, a format that posts a whole chunk at once (and the chunk that fails and goes
one line at a time), the posted total over several commits, the batch's counts, who committed it, the
``import.committed`` audit row with the counts before and after, the loans split between workers' shares, and Python's
cycle collector paused while a share commits."""

import gc
import os
from decimal import Decimal as D

import pytest
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.models import ImportBatch
from servicing.services.import_batches import ImportFileError, _commit_share, batch_commit, batch_stage
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.import_batches_toy import ToyBatchFile, ToyFile, posted_message

pytestmark = pytest.mark.django_db
FILE = (
    "ref,amount\n"
    "ok1,10.00\n"  # 2
    "refuse2,5.00\n"  # 3: the service refuses it, with its reason
    "mute3,1.00\n"  # 4: ... without one
    "db4,2.00\n"  # 5: the database fails for it
    "ok5,7.25\n"  # 6
    "bad6,xyz\n"  # 7: in error since staging
    "ok1,9.99\n"  # 8: a duplicate since staging
    "ok8,\n"  # 9: posts, without an amount
)


@pytest.fixture
def servicer():
    return user_with_role(roles.SERVICER)


def _stage(text=FILE):
    return batch_stage(fmt=ToyFile(), file_name="toy.csv", content=text, actor=None)


def _lines(batch):
    return {line.line_number: (line.status, line.message) for line in batch.lines.all()}


def _counts(lines, valid, errors, posted, duplicates, valid_total, posted_total):
    return {
        "lines": lines,
        "valid": valid,
        "errors": errors,
        "posted": posted,
        "duplicates": duplicates,
        "valid_total": valid_total,
        "posted_total": posted_total,
    }


def test_each_valid_line_is_committed_in_file_order_and_each_refusal_is_kept_on_its_line(servicer):
    other = _stage("ref,amount\nother,1.00\n")
    batch, fmt, started = _stage(), ToyFile(), timezone.now()
    batch = batch_commit(fmt=fmt, batch=batch, actor=servicer)
    assert _lines(other) == {2: ("valid", "")}  # another batch's lines are not this commit's
    assert fmt.contexts == [[2, 3], [4, 5], [6, 9]]
    assert fmt.committed == [2, 3, 4, 5, 6, 9]
    assert _lines(batch) == {
        2: ("posted", posted_message(servicer)),
        3: ("error", "refuse2 is refused"),
        4: ("error", "ValueError"),
        5: ("error", "db4: the database failed"),
        6: ("posted", posted_message(servicer)),
        7: ("error", "amount: 'xyz' is not an amount (write it like 1234.56)"),
        8: ("duplicate", "ok1 is line 2's"),
        9: ("posted", posted_message(servicer)),
    }
    batch.refresh_from_db()
    assert (batch.status, batch.valid_count, batch.error_count, batch.posted_count, batch.duplicate_count) == (
        "committed",
        0,
        4,
        3,
        1,
    )
    assert (batch.valid_total, batch.posted_total, batch.committed_by) == (D("25.25"), D("17.25"), servicer)
    assert started <= batch.committed_at <= timezone.now()
    event = AuditEvent.objects.get(verb="import.committed")
    assert (event.actor, event.target_id, event.target_type.model) == (servicer, str(batch.pk), "importbatch")
    assert event.before == _counts(8, 6, 1, 0, 1, "25.25", "0.00")
    assert event.after == _counts(8, 0, 4, 3, 1, "25.25", "17.25")


def test_a_later_commit_posts_what_an_earlier_one_left_valid_and_adds_to_the_posted_total(servicer):
    batch = _stage("ref,amount\nok1,10.00\nwait2,4.00\nwait3,0.50\n")
    batch = batch_commit(fmt=ToyFile(hold=True), batch=batch, actor=None)
    assert (batch.posted_count, batch.valid_count, batch.posted_total, batch.committed_by) == (1, 2, D("10.00"), None)
    assert _lines(batch)[3] == ("valid", "")

    batch = batch_commit(fmt=ToyFile(), batch=batch, actor=servicer)
    assert (batch.posted_count, batch.valid_count, batch.posted_total, batch.committed_by) == (
        3,
        0,
        D("14.50"),
        servicer,
    )
    second = AuditEvent.objects.filter(verb="import.committed").order_by("id").last()
    assert (second.actor, second.before, second.after) == (
        servicer,
        _counts(3, 2, 0, 1, 0, "14.50", "10.00"),
        _counts(3, 0, 0, 3, 0, "14.50", "14.50"),
    )

    again = ToyFile()
    batch = batch_commit(fmt=again, batch=batch, actor=servicer)
    assert (again.committed, batch.posted_count, batch.posted_total) == ([], 3, D("14.50"))


def test_a_format_that_posts_a_whole_chunk_is_not_asked_line_by_line(servicer):
    fmt = ToyBatchFile()
    batch = batch_commit(fmt=fmt, batch=_stage("ref,amount\nok1,1.00\nok2,2.00\nok3,3.00\n"), actor=servicer)
    assert fmt.committed == []
    assert _lines(batch) == {
        2: ("posted", "in a chunk of 2"),
        3: ("posted", "in a chunk of 2"),
        4: ("posted", "in a chunk of 1"),
    }
    assert (batch.posted_count, batch.posted_total) == (3, D("6.00"))


def test_a_chunk_the_database_refuses_as_a_whole_goes_one_line_at_a_time_from_a_clean_start(servicer):
    fmt = ToyBatchFile(hold=True)
    batch = batch_commit(fmt=fmt, batch=_stage("ref,amount\nwait1,1.00\ndb2,2.00\nok3,3.00\n"), actor=servicer)
    assert fmt.committed == [2, 3]  # the failed chunk's lines, one by one; the next chunk at once
    assert _lines(batch) == {
        2: ("valid", ""),  # what the failed batch wrote on it is undone
        3: ("error", "db2: the database failed"),
        4: ("posted", "in a chunk of 1"),
    }
    assert (batch.valid_count, batch.error_count, batch.posted_count, batch.posted_total) == (1, 1, 1, D("3.00"))


def test_a_batch_of_another_kind_is_refused_word_for_word():
    batch = ImportBatch.objects.create(kind="boarding", file_name="loans.csv", sha256="0" * 64)
    with pytest.raises(ImportFileError) as refusal:
        batch_commit(fmt=ToyFile(), batch=batch, actor=None)
    assert str(refusal.value) == f"Batch {batch.pk} is a Servicing transfer (loan boarding) batch, not payment."


def test_workers_inside_a_transaction_or_off_postgresql_commit_in_this_process(servicer):
    fmt = ToyFile()
    batch = batch_commit(fmt=fmt, batch=_stage("ref,amount\nok1,1.00\nok2,2.00\n"), actor=servicer, workers=2)
    assert fmt.committed == [2, 3]
    assert _lines(batch) == {
        2: ("posted", posted_message(servicer, os.getpid())),
        3: ("posted", posted_message(servicer)),
    }


def test_an_actor_not_saved_as_a_user_is_not_recorded_as_the_committer():
    batch = batch_commit(fmt=ToyFile(), batch=_stage("ref,amount\nok1,1.00\n"), actor=User(email="nobody@lending.test"))
    batch.refresh_from_db()
    assert (batch.posted_count, batch.committed_by) == (1, None)


def test_a_share_commits_only_the_lines_of_its_loans_in_file_order(servicer):
    first, second = boarded_loan(consumer=True), boarded_loan(consumer=True)
    assert first.pk % 2 != second.pk % 2  # one loan in each of two shares
    text = "ref,amount,loan\n" + "".join(
        f"r{n},{n}.00,{loan.pk}\n" for n, loan in enumerate([first, second, first, second, first], start=1)
    )
    batch = _stage(text)
    fmt = ToyFile()
    assert _commit_share(fmt, batch, servicer, first.pk % 2, 2) == D("9.00")  # 1 + 3 + 5
    assert fmt.committed == [2, 4, 6]
    assert fmt.contexts == [[2, 4], [6]]
    assert _commit_share(ToyFile(), batch, servicer, second.pk % 2, 2) == D("6.00")  # 2 + 4
    assert {status for status, _ in _lines(batch).values()} == {"posted"}


class _CollectorWatch(ToyFile):
    """Records, for each line committed, whether Python's cycle collector was on."""

    def __init__(self) -> None:
        super().__init__()
        self.collector_on: list[bool] = []

    def commit_line(self, line, context, actor):
        self.collector_on.append(gc.isenabled())
        super().commit_line(line, context, actor)


def test_the_collector_is_paused_while_a_share_commits_and_on_again_after():
    batch, fmt = _stage(), _CollectorWatch()
    batch_commit(fmt=fmt, batch=batch, actor=None)
    assert fmt.collector_on == [False] * 6  # every valid line, over three chunks of two
    assert gc.isenabled()
