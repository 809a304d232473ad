"""Autopay's amount rules (``ach_drafts.draft_decide``) and draft windows, pinned with hand-computed figures: what a
partly paid installment still owes, the principal cap, the ceiling at its exact boundary, the extra principal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from servicing.services import ach_drafts
from servicing.services.ach import MAX_DRAFT_DAYS_BEFORE

D = Decimal


def installment(**paid) -> SimpleNamespace:
    """Installment 2 of the test mortgage: interest 1,623.53, principal 272.67, escrow 525.00 (total 2,421.20)."""
    values = {"interest": D("1623.53"), "principal": D("272.67"), "escrow": D("525.00")}
    values |= {f"paid_{part}": paid.get(part, D("0.00")) for part in ("interest", "principal", "escrow")}
    return SimpleNamespace(**values)


def decide(inst=None, *, balance="299727.33", extra="0.00", ceiling=None) -> ach_drafts.DraftDecision:
    return ach_drafts.draft_decide(
        installment=inst or installment(),  # type: ignore[arg-type]  # the fields draft_decide reads
        principal_balance=D(balance),
        extra_principal=D(extra),
        ceiling=None if ceiling is None else D(ceiling),
    )


def test_an_unpaid_installment_drafts_its_whole_payment():
    assert decide() == ach_drafts.DraftDecision(D("2421.20"), D("2421.20"))


def test_a_partly_paid_installment_drafts_only_what_each_component_still_owes():
    # 1,623.53 - 600.00 + 272.67 - 72.67 + 525.00 - 25.00 = 1,023.53 + 200.00 + 500.00 = 1,723.53
    partly = installment(interest=D("600.00"), principal=D("72.67"), escrow=D("25.00"))
    assert decide(partly) == ach_drafts.DraftDecision(D("1723.53"), D("1723.53"))


def test_principal_is_capped_at_what_the_loan_still_owes():
    # The loan owes 100.00 of principal: 1,623.53 + 100.00 + 525.00 = 2,248.53
    assert decide(balance="100.00") == ach_drafts.DraftDecision(D("2248.53"), D("2248.53"))


def test_an_installment_paid_in_full_is_skipped_with_the_reason():
    paid = installment(interest=D("1623.53"), principal=D("272.67"), escrow=D("525.00"))
    assert decide(paid) == ach_drafts.DraftDecision(D("0.00"), D("0.00"), "the installment owes nothing")


def test_the_ceiling_allows_exactly_its_amount_and_refuses_one_cent_more():
    assert decide(ceiling="2421.20") == ach_drafts.DraftDecision(D("2421.20"), D("2421.20"))
    assert decide(ceiling="2421.19") == ach_drafts.DraftDecision(
        D("2421.20"),
        D("0.00"),
        "the installment owes $2,421.20, above the autopay ceiling of $2,421.19: pay it directly",
    )


def test_extra_principal_is_added_cut_to_the_ceiling_and_to_the_principal_left():
    assert decide(extra="100.00").amount == D("2521.20")
    assert decide(extra="100.00", ceiling="2500.00").amount == D("2500.00")  # the extra is cut to fit
    # 400.00 of principal left: 272.67 is the installment's, so at most 127.33 of extra
    assert decide(extra="500.00", balance="400.00").amount == D("2548.53")
    # nothing left after the installment's own principal: no extra at all
    assert decide(extra="500.00", balance="272.67").amount == D("2421.20")


@pytest.mark.parametrize(
    ("business_date", "windows"),
    [
        # Thursday Dec 31, 2026: the next business day is Monday Jan 4 (New Year's Day, then the weekend), so
        # with k days before, due dates from Dec 31 + k up to (not including) Jan 4 + k draft today.
        (date(2026, 12, 31), {0: (date(2026, 12, 31), date(2027, 1, 4)), 5: (date(2027, 1, 5), date(2027, 1, 9))}),
        # An ordinary Tuesday: exactly one due date per k.
        (date(2027, 1, 5), {0: (date(2027, 1, 5), date(2027, 1, 6)), 3: (date(2027, 1, 8), date(2027, 1, 9))}),
    ],
)
def test_draft_windows_cover_the_days_until_the_next_business_day(business_date, windows):
    found = ach_drafts._draft_windows(business_date)
    assert sorted(found) == list(range(MAX_DRAFT_DAYS_BEFORE + 1))
    for k, window in windows.items():
        assert found[k] == window


def test_no_drafts_on_a_weekend_or_holiday():
    assert ach_drafts._draft_windows(date(2027, 1, 2)) == {}  # Saturday
    assert ach_drafts._draft_windows(date(2027, 1, 1)) == {}  # New Year's Day


def test_an_installment_owing_less_than_a_dollar_drafts_those_cents():
    # All paid but 0.50 of interest: 1,623.03 of 1,623.53 paid.
    nearly = installment(interest=D("1623.03"), principal=D("272.67"), escrow=D("525.00"))
    assert decide(nearly) == ach_drafts.DraftDecision(D("0.50"), D("0.50"))
