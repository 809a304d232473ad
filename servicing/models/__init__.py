"""Servicing tables, one module per sub-domain."""

from servicing.models.escrow import EscrowItem
from servicing.models.imports import ImportBatch, ImportLine
from servicing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from servicing.models.loans import Installment, LoanAccount
from servicing.models.payments import AllocationLine, LoanTransaction

__all__ = [
    "AllocationLine",
    "EscrowItem",
    "ImportBatch",
    "ImportLine",
    "Installment",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "LoanAccount",
    "LoanTransaction",
]
