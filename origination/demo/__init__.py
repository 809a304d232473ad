"""Origination demo data for ``manage.py seed_demo``: products, the APOR table, and applications in every
workflow state, each driven there through the real services by the demo staff and borrowers.

History is simulated: the services stamp today and refuse back-dating, so each step of an application that
happened in the past runs under a patched clock (``_clock``) set to that business day. Idempotent: products and
APOR rows are looked up by their natural keys, applications by their primary borrower's email and loan amount.

Modules: ``catalog`` (products, APOR), ``scenarios`` (people and applications), ``story`` (driving one),
``clock`` (the patched clock), ``files`` (demo PDFs) and ``seed`` (``demo_seed``, run by ``manage.py seed_demo``).
"""

from origination.demo.catalog import PRODUCTS, apor_seed, products_seed
from origination.demo.clock import _clock
from origination.demo.files import demo_pdf
from origination.demo.scenarios import (
    ALICE,
    BOB,
    CLOSER,
    DESIGN,
    OFFICER,
    PEOPLE,
    PROCESSOR,
    SCENARIOS,
    UNDERWRITER,
    Scenario,
)
from origination.demo.seed import demo_seed

__all__ = [
    "ALICE",
    "BOB",
    "CLOSER",
    "DESIGN",
    "OFFICER",
    "PEOPLE",
    "PROCESSOR",
    "PRODUCTS",
    "SCENARIOS",
    "UNDERWRITER",
    "Scenario",
    "_clock",
    "apor_seed",
    "demo_pdf",
    "demo_seed",
    "products_seed",
]
