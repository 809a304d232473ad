"""Servicing writes, one module per sub-domain (ledger, onboarding). Every function is keyword-only, atomic and
audited."""
