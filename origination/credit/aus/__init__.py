"""Automated underwriting (AUS): findings in the manner of DU/LPA, from the application and the product's limits.

Pure Python (no Django, no database): the underwriting service gathers the figures, ``evaluate`` judges them.
Modules: ``inputs`` (what the engine reads and returns), ``figures`` (the arithmetic), ``engine`` (the rules),
``display`` (the calculation breakdown for people).

Figures (money in cents, ROUND_HALF_UP; ratios in percent with 4 decimals; reserves in months with 2):
- P&I: ``lending.finance.amortization.level_payment`` on the amount requested at the product's rate and term,
  as a monthly figure (payment x periods a year / 12 for non-monthly products). Every product qualifies at the
  fully amortizing payment over the whole term, interest-only ones too (the conservative choice).
- Housing expense (mortgage, PITIA): P&I + annual property tax / 12 + annual insurance / 12 + monthly HOA.
- Front-end DTI = housing expense / gross monthly income (mortgages; shown, the product sets no limit on it).
- Monthly debts, reconciled: the larger of the application's declared liabilities not paid off at closing and the
  monthly payments of the credit reports' tradelines, less the tradelines an underwriter excluded with a reason
  (paid off at closing, paid by someone else, a duplicate of another line...). The two are not added, which
  would count the same debt twice; the findings say which figure was counted and why.
- Back-end DTI = (housing expense + the monthly debts) / gross monthly income. For other products: (new payment
  + the monthly debts + the borrowers' present housing expense) / income.
- Income: monthly base + other income of every borrower's current employment.
- LTV = amount / value and CLTV = (amount + subordinate liens) / value, where value is the appraised value
  (the estimated value until an appraisal is in), or the purchase price if lower on a purchase.
- Reserves (months) = (assets - funds to close) / housing expense (the new payment for other products).
  Assets count at their balance, retirement accounts at 60 % (taxes and penalties on withdrawal). Funds to close
  = down payment (purchase price - amount, on a purchase) + estimated closing costs (origination fee + the
  product's fixed fees); prepaids and escrow deposits are left out. Other products need no funds to close.
- Credit score: the lowest of the borrowers' latest scores (DU uses the lowest representative score too).

Recommendation, first match wins:
1. Out of Scope: the limits cannot be evaluated: no loan amount, an amount outside the product's minimum and
   maximum, no income, or a mortgage without a subject property.
2. Refer with Caution: credit score more than 40 points under the product minimum, or back-end DTI more than
   7 points over the product maximum.
3. Refer: any other limit not met: credit score under the minimum, a borrower without a score (no credit file:
   manual underwriting with non-traditional credit), back-end DTI, LTV or CLTV over the maximum, reserves under
   the minimum or not enough assets to close.
4. Approve/Eligible.
Each check adds a message {code, severity, text}, passed or not; the first message states the recommendation.
"""

from __future__ import annotations

from origination.credit.aus.display import calculation_rows
from origination.credit.aus.engine import evaluate
from origination.credit.aus.inputs import (
    APPROVE_ELIGIBLE,
    OUT_OF_SCOPE,
    RECOMMENDATION_LABELS,
    REFER,
    REFER_WITH_CAUTION,
    SEVERITY_LABELS,
    AusInput,
    BorrowerCredit,
    Findings,
    ProductTerms,
    PropertyFacts,
)

__all__ = [
    "APPROVE_ELIGIBLE",
    "OUT_OF_SCOPE",
    "RECOMMENDATION_LABELS",
    "REFER",
    "REFER_WITH_CAUTION",
    "SEVERITY_LABELS",
    "AusInput",
    "BorrowerCredit",
    "Findings",
    "ProductTerms",
    "PropertyFacts",
    "calculation_rows",
    "evaluate",
]
