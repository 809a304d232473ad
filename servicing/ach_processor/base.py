"""The ACH processor adapter interface: what a processor is sent (entries to settle on a date) and what it answers.

An adapter is a class with ``submit(settlement_date, entries) -> list[AchResult]`` and ``returns(on) ->
list[AchReturn]``; settings.LENDING_ACH_PROCESSOR names the one in use (a dotted path, the sandbox by default).
Code above the adapter never knows which one it has.

The contract:
- ``submit`` takes every entry for settlement and answers one result per entry, in order. It must be idempotent
  by trace number (the nightly step may submit a chunk again after a rollback): a resubmitted entry answers its
  first result and moves no money twice.
- A result may already carry a return code (the sandbox decides returns at settlement); a real bank reports
  returns days later, in its return file: ``returns(on)`` answers the returns received on a date, matched to
  entries by trace number, and ``ach_returns_receive`` records them for the next nightly ACH step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_PROCESSOR = "servicing.ach_processor.sandbox.SandboxAchProcessor"
TRACE_SEQUENCE_DIGITS = 7


class AchProcessorError(Exception):
    """The processor could not take the entries (down, refused the file); nothing was settled."""


@dataclass(frozen=True, kw_only=True)
class AchEntry:
    """One debit to settle: a borrower's account, an amount in dollars and cents, and its trace number."""

    entry_id: int  # the PendingPayment's primary key
    loan_number: str
    account_holder: str
    routing_number: str
    account_number: str
    account_type: str  # "checking" or "savings"
    amount: Decimal
    trace_number: str

    def __repr__(self) -> str:  # never print account numbers in logs or tracebacks
        return f"AchEntry({self.entry_id}, {self.amount}, account ending {self.account_number[-4:]})"


@dataclass(frozen=True)
class AchResult:
    """The processor's answer for an entry: settled, and a return code when it already knows of a return."""

    entry_id: int
    trace_number: str
    return_code: str = ""


@dataclass(frozen=True)
class AchReturn:
    """A return received after settlement (a bank's return file), matched by trace number."""

    trace_number: str
    return_code: str
    returned_on: date


@runtime_checkable
class AchProcessor(Protocol):
    """An ACH processor adapter. ``name`` labels the records it produces; ``is_sandbox`` marks test data."""

    name: str
    is_sandbox: bool

    def submit(self, settlement_date: date, entries: list[AchEntry]) -> list[AchResult]: ...

    def returns(self, on: date) -> list[AchReturn]: ...


def get_processor() -> AchProcessor:
    """The adapter named by settings.LENDING_ACH_PROCESSOR (a class, instantiated without arguments)."""
    path = getattr(settings, "LENDING_ACH_PROCESSOR", "") or DEFAULT_PROCESSOR
    processor = import_string(path)()
    if not isinstance(processor, AchProcessor):
        raise TypeError(f"LENDING_ACH_PROCESSOR={path!r} has no submit(settlement_date, entries)/returns(on)")
    return processor


def odfi_identification() -> str:
    """The first 8 digits of our bank's (the ODFI's) routing number: the prefix of every trace number."""
    return str(settings.LENDING_ACH_ORIGINATOR["odfi_routing"])[:8]


def trace_number(entry_id: int) -> str:
    """NACHA trace number: the ODFI's 8-digit identification and a 7-digit sequence (the payment's id, modulo
    10^7: unique within any file, and stored on the payment so a later return finds it)."""
    return odfi_identification() + str(entry_id % 10**TRACE_SEQUENCE_DIGITS).zfill(TRACE_SEQUENCE_DIGITS)
