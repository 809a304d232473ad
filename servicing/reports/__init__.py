"""Servicing's reports, listed on /staff/reports/: every module in this package is imported by the report
registry's discovery (lending.core.reports.registry.autodiscover); each registers its own report."""
