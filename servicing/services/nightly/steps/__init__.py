"""One module per close-of-business step; importing this package registers them all (``base.register``)."""

from servicing.services.nightly.steps import (  # noqa: F401  (importing a step registers it)
    ach,
    billing,
    delinquency,
    early_intervention,
    escrow,
    interest,
    late_fees,
    month_end,
    plans,
    promises,
    statements,
)
