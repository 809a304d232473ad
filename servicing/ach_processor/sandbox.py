"""The sandbox ACH processor: deterministic, never moves money, and labelled so.

Every payment it settles is recorded with processor "Sandbox ACH processor (test data)" and ``is_sandbox``.
It answers from the account number alone (no clock, no randomness) and decides returns at settlement (a real
bank reports them one to a few banking days later; the adapter contract allows that):

==========================  ===========================================================
account number ends with    answer
==========================  ===========================================================
0001                        R01 insufficient funds
0002                        R02 account closed
0003                        R03 no account / unable to locate account
0004                        R04 invalid account number
0007                        R07 authorization revoked by customer
0008                        R08 payment stopped
0009                        R09 uncollected funds
0010                        R10 customer advises not authorized
0016                        R16 account frozen
0020                        R20 non-transaction account
0029                        R29 corporate customer advises not authorized
anything else               settles, no return
==========================  ===========================================================
"""

from __future__ import annotations

from datetime import date

from servicing.ach_processor.base import AchEntry, AchResult, AchReturn
from servicing.models.ach import ReturnCode

PROCESSOR_NAME = "Sandbox ACH processor (test data)"
# "0001" -> "R01", ..., one line per return code of the table above.
TEST_ACCOUNTS = {f"00{code[1:]}": code for code in ReturnCode.values}


def sandbox_return_code(account_number: str) -> str:
    """The return the sandbox answers for an account number ("" when the draft settles)."""
    return TEST_ACCOUNTS.get(account_number[-4:], "")


class SandboxAchProcessor:
    name = PROCESSOR_NAME
    is_sandbox = True

    def submit(self, settlement_date: date, entries: list[AchEntry]) -> list[AchResult]:
        return [AchResult(e.entry_id, e.trace_number, sandbox_return_code(e.account_number)) for e in entries]

    def returns(self, on: date) -> list[AchReturn]:
        return []  # the sandbox answered every return at settlement
