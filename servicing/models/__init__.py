"""Servicing tables, one module per sub-domain."""

from servicing.models.accrual import BillingRecord, InterestAccrual
from servicing.models.ach import AchFile, AutopayEnrollment, AutopaySkippedDraft, PendingPayment, ReturnCode
from servicing.models.boarding import FundedApplication
from servicing.models.charge_off import ChargeOff, Recovery
from servicing.models.collections import ContactAttempt, PromiseToPay
from servicing.models.credit_reporting import Metro2File, ReportedConsumer
from servicing.models.documents import BorrowerDocument, PrintBatch
from servicing.models.escrow import EscrowAnalysis, EscrowDisbursement, EscrowItem, EscrowRefund
from servicing.models.fees import DelinquencyHistory, LoanFee
from servicing.models.imports import ImportBatch, ImportLine
from servicing.models.ledger import JournalEntry, JournalLine, LedgerAccount, LedgerDailyBalance, LoanBalanceTotal
from servicing.models.loans import Installment, LoanAccount
from servicing.models.loss_mitigation import (
    EarlyInterventionNotice,
    ForeclosureReferral,
    LossMitigationApplication,
    LossMitigationDocument,
)
from servicing.models.month_end import LoanMonthEnd, LoanMonthEndCount
from servicing.models.nightly import NightlyLoanError, NightlyRun, NightlyStatus, NightlyStepRun
from servicing.models.payments import AllocationLine, LoanTransaction, Replay, ReplayChange
from servicing.models.payoff import LoanPayoff, PayoffQuote
from servicing.models.plans import Forbearance, LoanModification, RepaymentPlan, RepaymentPlanMonth
from servicing.models.reports import PortfolioMonth, PortfolioStratum
from servicing.models.roll_rates import RollRateRestatement, RollRateSnapshot, RollRateSnapshotLoan
from servicing.models.statements import Statement

__all__ = [
    "AchFile",
    "AllocationLine",
    "AutopayEnrollment",
    "AutopaySkippedDraft",
    "BillingRecord",
    "BorrowerDocument",
    "ChargeOff",
    "ContactAttempt",
    "DelinquencyHistory",
    "EarlyInterventionNotice",
    "EscrowAnalysis",
    "EscrowDisbursement",
    "EscrowItem",
    "EscrowRefund",
    "Forbearance",
    "ForeclosureReferral",
    "FundedApplication",
    "ImportBatch",
    "ImportLine",
    "Installment",
    "InterestAccrual",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "LedgerDailyBalance",
    "LoanAccount",
    "LoanBalanceTotal",
    "LoanFee",
    "LoanModification",
    "LoanMonthEnd",
    "LoanMonthEndCount",
    "LoanPayoff",
    "LoanTransaction",
    "LossMitigationApplication",
    "LossMitigationDocument",
    "Metro2File",
    "NightlyLoanError",
    "NightlyRun",
    "NightlyStatus",
    "NightlyStepRun",
    "PayoffQuote",
    "PendingPayment",
    "PortfolioMonth",
    "PortfolioStratum",
    "PrintBatch",
    "PromiseToPay",
    "Recovery",
    "RepaymentPlan",
    "RepaymentPlanMonth",
    "Replay",
    "ReplayChange",
    "ReportedConsumer",
    "ReturnCode",
    "RollRateRestatement",
    "RollRateSnapshot",
    "RollRateSnapshotLoan",
    "Statement",
]
