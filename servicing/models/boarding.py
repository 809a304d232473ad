"""Funded applications awaiting boarding: origination's applications seen from servicing (a proxy, no table), for
the admin screen that boards again the ones whose boarding failed when they were funded."""

from __future__ import annotations

from origination.models import Application


class FundedApplication(Application):
    class Meta:
        proxy = True
        verbose_name = "funded application to board"
        verbose_name_plural = "funded applications to board"
