"""Events origination announces, always on commit. Higher layers (servicing, crm) listen."""

from django.dispatch import Signal

# kwargs: application, transition, from_status, to_status, actor
application_transitioned = Signal()
# kwargs: application, funding, actor
loan_funded = Signal()
