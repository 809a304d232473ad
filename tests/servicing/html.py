"""Assertions on rendered money: the exact string, not a prefix of a longer number."""

import re


def shows_money(body: str, text: str) -> bool:
    """``text`` ("$2,674.03") appears in ``body`` as the whole amount: "$2,674.03000000000" does not count."""
    return re.search(re.escape(text) + r"(?!\d|[.,]\d)", body) is not None
