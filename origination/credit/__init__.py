"""Credit: the bureau adapter interface, the sandbox bureau, and the automated underwriting engine (pure)."""

from origination.credit.base import BureauError, BureauReport, CreditBureau, CreditFileFrozen, CreditSubject, get_bureau

__all__ = ["BureauError", "BureauReport", "CreditBureau", "CreditFileFrozen", "CreditSubject", "get_bureau"]
