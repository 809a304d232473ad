"""Assertions on rendered money: the exact string, not part of a longer or signed number."""

from tests.money_asserts import amount_in


def shows_money(body: str, text: str) -> bool:
    """``text`` ("$2,674.03") appears in ``body`` as the whole amount: "$2,674.03000000000", "$12,674.03" and
    "-$2,674.03" do not count (tests/money_asserts.py)."""
    return amount_in(body, text)
