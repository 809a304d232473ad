"""One module per close-of-business step; importing this package registers them all (``base.register``)."""
