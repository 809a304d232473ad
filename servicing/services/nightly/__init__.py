"""The nightly close of business: the runner (``runner``), the step contract (``base``) and one module per step."""
