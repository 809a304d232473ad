"""Servicing tables, one module per sub-domain."""

from servicing.models.accrual import BillingRecord, InterestAccrual
from servicing.models.ach import AutopayEnrollment, PendingPayment
from servicing.models.boarding import FundedApplication
from servicing.models.escrow import EscrowItem
from servicing.models.imports import ImportBatch, ImportLine
from servicing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from servicing.models.loans import Installment, LoanAccount
from servicing.models.payments import AllocationLine, LoanTransaction, Replay, ReplayChange
from servicing.models.payoff import LoanPayoff, PayoffQuote

__all__ = [
    "AllocationLine",
    "AutopayEnrollment",
    "BillingRecord",
    "EscrowItem",
    "FundedApplication",
    "ImportBatch",
    "ImportLine",
    "Installment",
    "InterestAccrual",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "LoanAccount",
    "LoanPayoff",
    "LoanTransaction",
    "PayoffQuote",
    "PendingPayment",
    "Replay",
    "ReplayChange",
]
