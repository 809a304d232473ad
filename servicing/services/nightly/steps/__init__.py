"""One module per close-of-business step; importing this package registers them all (``base.register``)."""

from servicing.services.nightly.steps import ach  # noqa: F401
from servicing.services.nightly.steps import escrow  # noqa: F401
