"""What a close-of-business step is, for the runner and for the steps.

A step works on the portfolio for one business date D in chunks of loan ids. It is idempotent by construction:
``pending_loan_ids(D)`` returns only the loans that still need the step for D (those already done wrote a row with a
unique key: per loan/date/step, or per installment and fee kind), so a rerun, or a restart after a worker was
killed mid-step, finishes only what is left. ``run_chunk`` does the work set-based where it can; ``isolate`` turns a
failing chunk into per-loan savepoints so one bad loan becomes an error row and the other loans go on.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import QuerySet

from lending.core.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoanError:
    """One loan the step could not do, and why (shown on the jobs page; the loan stays pending for a rerun)."""

    loan_id: int
    message: str


@dataclass
class ChunkResult:
    """What one chunk did: loans done (including those that needed nothing after all) and loans that failed."""

    done: int = 0
    errors: list[LoanError] = field(default_factory=list)

    def add(self, other: ChunkResult) -> None:
        self.done += other.done
        self.errors.extend(other.errors)


class NightlyStep(ABC):
    """One step of the close of business. Subclasses are registered with ``@register`` in run order."""

    name: ClassVar[str]  # stable identifier: "interest", "billing", ..., "statements", "promises" (ORDER)
    label: ClassVar[str]  # what the jobs page and the progress bar call it
    chunk_size: ClassVar[int] = 2000

    @abstractmethod
    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        """``values_list("pk", flat=True)`` of the loans that still need this step for ``business_date``, in pk
        order. Must exclude loans already done for that date, so that a rerun finds nothing to do."""

    @abstractmethod
    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        """Do the step for these loans on ``business_date``, in one transaction per chunk (or per loan on error);
        every money movement through the ledger services, audited with ``actor`` (None: the system)."""


def plain_rows(queryset: QuerySet[Any], fields: tuple[str, ...]) -> list[Any]:
    """``queryset``'s ``fields`` as plain rows with attributes, not model instances: at 2,000 loans a chunk, the
    loans and their installments as instances cost more Python than the rest of the chunk. For reads whose rows
    are only read, or written back through ``lending.core.bulk`` (which reads attributes and ``pk``)."""
    return [SimpleNamespace(**dict(zip(fields, row, strict=True))) for row in queryset.values_list(*fields)]


STEPS: dict[str, type[NightlyStep]] = {}
ORDER = (
    "interest",
    "plans",
    "billing",
    "ach",
    "late_fees",
    "delinquency",
    "early_intervention",
    "escrow",
    "statements",
    "promises",
    "month_end",
)


def register(step: type[NightlyStep]) -> type[NightlyStep]:
    """Class decorator: make ``step`` part of the close of business (its place comes from ``ORDER``)."""
    if step.name not in ORDER:
        raise ValueError(f"Unknown nightly step {step.name!r}: add it to ORDER.")
    STEPS[step.name] = step
    return step


def _load_steps() -> None:
    from servicing.services.nightly import steps  # noqa: F401  (importing the package registers every step)


def steps_in_order() -> list[type[NightlyStep]]:
    """The registered steps in run order."""
    _load_steps()
    return [STEPS[name] for name in ORDER if name in STEPS]


def step_class(name: str) -> type[NightlyStep]:
    """The step registered as ``name`` (``KeyError`` if none). The step modules are imported first: a Celery worker
    process imports the tasks, not the steps, and would otherwise find none registered."""
    _load_steps()
    return STEPS[name]


def isolate(
    loan_ids: Iterable[int],
    all_at_once: Callable[[list[int]], int],
    one: Callable[[int], None],
) -> ChunkResult:
    """Run ``all_at_once(ids)`` (returns how many loans it did) in a savepoint; if it raises, run ``one(id)`` per
    loan, each in its own savepoint, and report the loans that still raise as errors. The caller's transaction is
    the chunk's; nothing of a failed loan stays written."""
    ids = list(loan_ids)
    try:
        with transaction.atomic():
            return ChunkResult(done=all_at_once(ids))
    except Exception:  # any failure: fall back to one loan at a time to find the culprit(s)
        logger.info("nightly chunk of %d loans failed; retrying one loan at a time", len(ids), exc_info=True)
    result = ChunkResult()
    for loan_id in ids:
        try:
            with transaction.atomic():
                one(loan_id)
            result.done += 1
        except Exception as exc:  # a loan's failure is recorded, the others go on
            result.errors.append(LoanError(loan_id, f"{type(exc).__name__}: {exc}"[:1000]))
    return result
