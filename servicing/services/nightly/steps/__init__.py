"""One module per close-of-business step; importing this package registers them all (``base.register``)."""

from servicing.services.nightly.steps import (
    billing,  # noqa: F401
    interest,  # noqa: F401
)
