"""The credit bureau adapter interface: what a bureau is asked (a subject) and what it answers (a report).

An adapter is a class with ``pull(borrower) -> BureauReport``; settings.LENDING_CREDIT_BUREAU names the one in use
(a dotted path, the sandbox by default). A real bureau adapter (a tri-merge vendor, say) implements the same method:
it maps the vendor's response to a BureauReport and raises BureauError for anything that must stop the pull
(frozen file, bad subscriber code, timeout), so the caller stores nothing half-pulled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BUREAU = "origination.credit.sandbox.SandboxBureau"


class BureauError(Exception):
    """The bureau could not return a report; the message says why and what to do."""


class CreditFileFrozen(BureauError):
    """The consumer has a security freeze on the file (FCRA 605A(i)); the consumer must lift it first."""


@dataclass(frozen=True, kw_only=True)
class CreditSubject:
    """Who is being pulled. Built by the credit service, the only place that reads the decrypted SSN."""

    first_name: str
    last_name: str
    ssn: str
    date_of_birth: date | None = None
    address_line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""

    def __repr__(self) -> str:  # never print the SSN in logs or tracebacks
        return f"CreditSubject({self.first_name} {self.last_name}, ssn=***-**-{self.ssn[-4:]})"


@dataclass(frozen=True, kw_only=True)
class BureauReport:
    """A bureau's answer. ``score`` is None when the bureau has no file (no-hit) or cannot score it.

    Tradelines are dicts: creditor, kind, balance and monthly_payment (strings of cent Decimals), status
    ("current", "30 days late", "collection", ...), opened (ISO date).
    """

    bureau: str
    score: int | None
    tradelines: list[dict[str, Any]] = field(default_factory=list)
    is_sandbox: bool = False
    score_model: str = ""
    score_range: tuple[int, int] = (300, 850)
    key_factors: list[str] = field(default_factory=list)
    inquiries_last_12_months: int = 0
    bureau_contact: dict[str, str] = field(default_factory=dict)  # name, address, phone (FCRA 615(a) notice)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def is_no_hit(self) -> bool:
        return self.score is None and not self.tradelines


@runtime_checkable
class CreditBureau(Protocol):
    """A credit bureau adapter."""

    def pull(self, borrower: CreditSubject) -> BureauReport: ...


def get_bureau() -> CreditBureau:
    """The adapter named by settings.LENDING_CREDIT_BUREAU (a class, instantiated without arguments)."""
    path = getattr(settings, "LENDING_CREDIT_BUREAU", "") or DEFAULT_BUREAU
    bureau = import_string(path)()
    if not isinstance(bureau, CreditBureau):
        raise TypeError(f"LENDING_CREDIT_BUREAU={path!r} has no pull(borrower) method")
    return bureau
