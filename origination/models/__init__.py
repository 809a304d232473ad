"""Origination tables, one module per sub-domain."""

from origination.models.applications import (
    Application,
    ApplicationStay,
    Asset,
    Borrower,
    Employment,
    Liability,
    Property,
    Status,
    TransitionLog,
)
from origination.models.assignment import AssignmentRotation
from origination.models.closing import ClosingDocument, ClosingSignature, Funding
from origination.models.communication import Message, Task
from origination.models.compliance import AveragePrimeOfferRate, ComplianceCheck, Disclosure
from origination.models.documents import Document, DocumentVersion
from origination.models.hmda import Demographics
from origination.models.products import DocumentType, LoanProduct, ProductDocument, ProductFee
from origination.models.underwriting import (
    AdverseActionNotice,
    Condition,
    CreditReport,
    Decision,
    TradelineExclusion,
    UnderwritingFinding,
)

__all__ = [
    "AdverseActionNotice",
    "Application",
    "ApplicationStay",
    "Asset",
    "AssignmentRotation",
    "AveragePrimeOfferRate",
    "Borrower",
    "ClosingDocument",
    "ClosingSignature",
    "ComplianceCheck",
    "Condition",
    "CreditReport",
    "Decision",
    "Demographics",
    "Disclosure",
    "Document",
    "DocumentType",
    "DocumentVersion",
    "Employment",
    "Funding",
    "Liability",
    "LoanProduct",
    "Message",
    "ProductDocument",
    "ProductFee",
    "Property",
    "Status",
    "Task",
    "TradelineExclusion",
    "TransitionLog",
    "UnderwritingFinding",
]
