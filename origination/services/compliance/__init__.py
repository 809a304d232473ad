"""Compliance checks: each a small named function returning (result, explanation, details), stored per application.

Checks run on the transitions that need fresh results (registered in ``run``), and after every change to the
disclosures or the closing date. A failing check blocks clear_to_close and close through the workflow's
``compliance_passes`` guard. Results are pass, fail or n/a; "not due yet" is n/a, with the date by which it will be
due in the explanation.

One module per sub-domain: ``context`` (what the checks read), ``thresholds`` (Reg Z's indexed dollar figures and
APOR), ``timing`` (when disclosures are due and how long consummation waits), ``pricing`` (APR accuracy, ability
to repay, HOEPA) and ``run`` (running and storing them).

Simplifications, said once: every mortgage is a fixed-rate first lien (no ARM, no subordinate-lien products);
the rate is set on the application date (there is no rate lock yet); the "total loan amount" of 1026.32(b)(4) is
the amount financed (no points and fees are financed separately); there are no prepayment penalties.
"""

from origination.models.compliance import CHECK_TITLES
from origination.services.compliance.context import CheckContext, CheckOutcome, check_context
from origination.services.compliance.pricing import apr_tolerance, atr_qm, hoepa
from origination.services.compliance.run import CHECKS, compliance_run
from origination.services.compliance.thresholds import (
    REG_Z_THRESHOLDS,
    apor_for,
    hoepa_apr_trigger,
    hoepa_points_and_fees_trigger,
    qm_points_and_fees_cap,
    qm_price_threshold,
)
from origination.services.compliance.timing import cd_timing, le_timing

__all__ = [
    "CHECKS",
    "CHECK_TITLES",
    "REG_Z_THRESHOLDS",
    "CheckContext",
    "CheckOutcome",
    "apor_for",
    "apr_tolerance",
    "atr_qm",
    "cd_timing",
    "check_context",
    "compliance_run",
    "hoepa",
    "hoepa_apr_trigger",
    "hoepa_points_and_fees_trigger",
    "le_timing",
    "qm_points_and_fees_cap",
    "qm_price_threshold",
]
