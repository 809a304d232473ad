"""Servicer screens in the admin, one module per sub-domain: loans, transactions, imports and the journal
(``loans``, with their custom views in ``views`` and forms in ``forms``), payoffs (``payoff``) and what borrowers
ask for in the portal (``portal``). Importing the package registers every ``ModelAdmin``."""

from servicing.admin import boarding, documents, escrow, fees, loans, nightly_records, payoff, portal  # noqa: F401  (their ModelAdmins register on import)
