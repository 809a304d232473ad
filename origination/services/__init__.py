"""Origination writes, one module per sub-domain. Every function is keyword-only, atomic and audited."""
