"""The sandbox bureau: deterministic test data from the SSN. Never a real consumer report, and labelled so.

Every report says ``is_sandbox=True`` and comes from "Sandbox bureau (test data)". The same SSN always gives the
same report (no clock, no randomness: SHA-256 of the digits drives every choice).

Score: ``500 + (last four digits mod 351)``, so 500..850; an SSN ending 0xyz with xyz <= 350 scores 500 + xyz
(…-0240 scores 740, …-0120 scores 620, the factories' 123-45-6789 scores 620).

Magic SSNs (area 999 is never issued):

==============  ==============================================================================================
SSN             report
==============  ==============================================================================================
999-00-0001     no hit: no credit file, no score, no tradelines
999-00-0002     frozen file: the pull fails with CreditFileFrozen (nothing is stored)
999-00-0003     refer: score 600, a 60-days-late auto loan and a collection account
999-00-0004     thin file: score 650, one revolving account opened a few months ago
999-00-0005     caution: score 540, a charged-off card and a 90-days-late installment loan
==============  ==============================================================================================

Other SSNs get 2 to 5 tradelines (revolving, auto, student, installment) whose balances, payments and dates come
from the hash; below 620 one of them is 60 days late, from 620 to 699 one may be 30 days late.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from lending.finance.money import cents
from origination.credit.base import BureauError, BureauReport, CreditFileFrozen, CreditSubject

BUREAU_NAME = "Sandbox bureau (test data)"
SCORE_MODEL = "Sandbox score (test data)"
SCORE_RANGE = (300, 850)
CONTACT = {
    "name": BUREAU_NAME,
    "address": "no address (generated test data, not a consumer reporting agency)",
    "phone": "n/a",
}
NO_HIT, FROZEN, REFER, THIN, CAUTION = "999000001", "999000002", "999000003", "999000004", "999000005"
MAGIC_SSNS = {
    "999-00-0001": "no hit (no credit file)",
    "999-00-0002": "frozen file (the pull fails)",
    "999-00-0003": "refer (score 600, late payments, a collection)",
    "999-00-0004": "thin file (score 650, one new account)",
    "999-00-0005": "caution (score 540, a charge-off)",
}

# kind -> (creditor names, lowest balance, highest balance, monthly payment as a fraction of the balance)
KINDS = {
    "revolving": (("Sandbox Card Services", "Example Bank Visa", "Test Retail Card"), 200, 15000, Decimal("0.03")),
    "auto": (("Sandbox Auto Finance", "Test Motors Credit"), 3000, 35000, Decimal("0.025")),
    "student": (("Sandbox Student Loans", "Example Education Servicing"), 5000, 60000, Decimal("0.01")),
    "installment": (("Sandbox Personal Loans", "Test Furniture Credit"), 1000, 15000, Decimal("0.04")),
}
MIN_PAYMENT = Decimal("25.00")


def digits_of(ssn: str) -> str:
    digits = "".join(ch for ch in ssn if ch.isdigit())
    if len(digits) != 9:
        raise BureauError("The SSN is not 9 digits; correct it on the application before pulling credit.")
    return digits


def sandbox_score(ssn: str) -> int:
    """500 + (last four digits mod 351): 500..850."""
    return 500 + int(digits_of(ssn)[-4:]) % 351


def _bytes(digits: str) -> Iterator[int]:
    counter = 0
    while True:
        yield from hashlib.sha256(f"lending-sandbox:{digits}:{counter}".encode()).digest()
        counter += 1


def _tradeline(kind: str, stream: Iterator[int], status: str = "current") -> dict:
    creditors, low, high, payment_share = KINDS[kind]
    creditor = creditors[next(stream) % len(creditors)]
    balance = cents(low + (next(stream) * 256 + next(stream)) % (high - low))
    opened = date(2008 + next(stream) % 17, 1 + next(stream) % 12, 1 + next(stream) % 28)
    return {
        "creditor": creditor,
        "kind": kind,
        "balance": str(balance),
        "monthly_payment": str(max(MIN_PAYMENT, cents(balance * payment_share))),
        "status": status,
        "opened": opened.isoformat(),
    }


def _standard_tradelines(digits: str, score: int) -> list[dict]:
    stream = _bytes(digits)
    count = 2 + next(stream) % 4
    kinds = list(KINDS)
    lines = [_tradeline(kinds[next(stream) % len(kinds)], stream) for _ in range(count)]
    late = next(stream)
    if score < 620:
        lines[late % count]["status"] = "60 days late"
    elif score < 700 and late % 2:
        lines[late % count]["status"] = "30 days late"
    return lines


def _key_factors(score: int | None, tradelines: list[dict], inquiries: int) -> list[str]:
    """Up to four reasons the score is not higher, most important first (FCRA 609(f)(1)(C))."""
    if score is None:
        return []
    factors = []
    statuses = {line["status"] for line in tradelines}
    if statuses & {"collection", "charge-off"}:
        factors.append("Derogatory public record or collection filed")
    if statuses - {"current"}:
        factors.append("Serious delinquency")
    if any(line["kind"] == "revolving" for line in tradelines):
        factors.append("Proportion of balances to credit limits is too high on revolving accounts")
    if len(tradelines) < 3:
        factors.append("Length of time accounts have been established")
    if inquiries >= 3:
        factors.append("Too many inquiries last 12 months")
    return factors[:4]


class SandboxBureau:
    """A deterministic stand-in for a credit bureau (development, demos, tests)."""

    name = BUREAU_NAME

    def pull(self, borrower: CreditSubject) -> BureauReport:
        digits = digits_of(borrower.ssn)
        if digits == FROZEN:
            raise CreditFileFrozen(
                "The borrower's credit file is frozen at the bureau (sandbox SSN 999-00-0002): "
                "the borrower must lift the freeze before credit can be pulled."
            )
        scenario, score, tradelines = self._scenario(digits)
        inquiries = int(digits[-1]) % 5 if scenario == "standard" else {"refer": 4, "caution": 5}.get(scenario, 1)
        return BureauReport(
            bureau=BUREAU_NAME,
            score=score,
            tradelines=tradelines,
            is_sandbox=True,
            score_model=SCORE_MODEL,
            score_range=SCORE_RANGE,
            key_factors=_key_factors(score, tradelines, inquiries),
            inquiries_last_12_months=inquiries if score is not None else 0,
            bureau_contact=dict(CONTACT),
            raw={"sandbox": True, "scenario": scenario, "ssn_last4": digits[-4:]},
        )

    def _scenario(self, digits: str) -> tuple[str, int | None, list[dict]]:
        stream = _bytes(digits)
        if digits == NO_HIT:
            return "no_hit", None, []
        if digits == REFER:
            lines = [_tradeline("auto", stream, "60 days late"), _tradeline("revolving", stream, "collection")]
            return "refer", 600, lines
        if digits == THIN:
            line = _tradeline("revolving", stream)
            line["opened"] = "2026-06-01"
            return "thin_file", 650, [line]
        if digits == CAUTION:
            lines = [_tradeline("revolving", stream, "charge-off"), _tradeline("installment", stream, "90 days late")]
            return "caution", 540, lines
        score = sandbox_score(digits)
        return "standard", score, _standard_tradelines(digits, score)
