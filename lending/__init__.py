"""Lending: CRM, loan origination and loan servicing in one Django project.

Kept empty on purpose: `lending.finance` must import without Django or Celery. The Celery app lives in
`lending.celery` (found by `celery -A lending`) and is loaded by the core app's ready().
"""
