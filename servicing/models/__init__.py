"""Servicing tables, one module per sub-domain."""

from servicing.models.escrow import EscrowItem
from servicing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from servicing.models.loans import Installment, LoanAccount

__all__ = ["EscrowItem", "Installment", "JournalEntry", "JournalLine", "LedgerAccount", "LoanAccount"]
