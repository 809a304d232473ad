"""Servicing tables, one module per sub-domain."""

from servicing.models.ach import AutopayEnrollment, PendingPayment  # noqa: F401
from servicing.models.escrow import EscrowItem
from servicing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from servicing.models.loans import Installment, LoanAccount
from servicing.models.payments import AllocationLine, LoanTransaction

__all__ = [
    "AllocationLine",
    "EscrowItem",
    "Installment",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "LoanAccount",
    "LoanTransaction",
]
