"""Origination forms, one module per sub-domain."""
