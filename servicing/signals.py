"""Events servicing announces, always on commit (``transaction.on_commit``). Higher layers (crm) listen."""

from django.dispatch import Signal

# kwargs: loan, transaction, actor
payment_posted = Signal()
# kwargs: loan, transaction (the payoff payment), actor
loan_paid_off = Signal()
