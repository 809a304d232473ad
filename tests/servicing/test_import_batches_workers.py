"""Committing with workers (``batch_commit(workers=...)``): outside a transaction on PostgreSQL the loans are split
between forked processes, each committing its share on its own connection for the same actor; one worker, or any
number inside a transaction, commits in this process. A share's own commit (``_commit_share_in_child``) is run
here too, in this process, where every database runs it."""

import os
from decimal import Decimal as D

import pytest
from django.db import connection

from lending.core import roles
from servicing.models import ImportLine
from servicing.services.import_batches import _commit_share_in_child, batch_commit, batch_stage
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.import_batches_toy import ToyFile, posted_message

# Each commits outside a test transaction: a share's commit closes the connections, as a forked child must.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loans():
    first, second = boarded_loan(consumer=True), boarded_loan(consumer=True)
    assert first.pk % 2 != second.pk % 2  # one loan in each of two shares
    return first, second


def _stage(loans):
    """Five lines, the two loans' lines interleaved: 1 + 3 + 5 for the first loan, 2 + 4 for the second."""
    order = [loans[0], loans[1], loans[0], loans[1], loans[0]]
    text = "ref,amount,loan\n" + "".join(f"r{n},{n}.00,{loan.pk}\n" for n, loan in enumerate(order, start=1))
    return batch_stage(fmt=ToyFile(), file_name="toy.csv", content=text, actor=None)


def _messages(batch):
    return [line.message for line in ImportLine.objects.filter(batch_id=batch.pk).order_by("line_number")]


def test_a_share_committed_on_its_own_posts_its_loans_lines_for_the_actor_and_answers_their_total(loans):
    servicer = user_with_role(roles.SERVICER)
    batch = _stage(loans)
    assert _commit_share_in_child(ToyFile, batch.pk, servicer.pk, loans[1].pk % 2, 2) == "6.00"
    assert _messages(batch) == ["", posted_message(servicer), "", posted_message(servicer), ""]
    assert _commit_share_in_child(ToyFile, batch.pk, None, loans[0].pk % 2, 2) == "9.00"
    assert _messages(batch) == [posted_message(None), posted_message(servicer)] * 2 + [posted_message(None)]


@pytest.mark.postgres
def test_workers_outside_a_transaction_split_the_loans_between_processes_for_the_same_actor(loans):
    servicer = user_with_role(roles.SERVICER)
    fmt = ToyFile()
    batch = batch_commit(fmt=fmt, batch=_stage(loans), actor=servicer, workers=2)
    assert fmt.committed == []  # nothing in this process
    messages = _messages(batch)
    pids = [int(message.split()[2]) for message in messages]
    assert os.getpid() not in pids
    assert pids[0] == pids[2] == pids[4] != pids[1] == pids[3]  # one process a loan, each line in file order
    assert messages == [posted_message(servicer, pid) for pid in pids]
    assert (batch.posted_count, batch.posted_total, batch.committed_by) == (5, D("15.00"), servicer)

    batch = batch_commit(fmt=fmt, batch=_stage(loans), actor=None, workers=2)
    pids = [int(message.split()[2]) for message in _messages(batch)]
    assert _messages(batch) == [posted_message(None, pid) for pid in pids]
    assert (fmt.committed, batch.posted_total) == ([], D("15.00"))


@pytest.mark.parametrize("workers", [{}, {"workers": 1}])
def test_one_worker_commits_in_this_process(loans, workers):
    servicer = user_with_role(roles.SERVICER)
    fmt = ToyFile()
    batch = batch_commit(fmt=fmt, batch=_stage(loans), actor=servicer, **workers)
    assert fmt.committed == [2, 3, 4, 5, 6]
    assert _messages(batch) == [posted_message(servicer, os.getpid())] * 5
    assert batch.posted_total == D("15.00")


def test_workers_off_postgresql_commit_in_this_process(loans):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL forks the workers: see the test above")
    fmt = ToyFile()
    batch = batch_commit(fmt=fmt, batch=_stage(loans), actor=None, workers=2)
    assert fmt.committed == [2, 3, 4, 5, 6]
    assert _messages(batch) == [posted_message(None, os.getpid())] * 5
