"""Loan Estimates and Closing Disclosures: issuing them with their figures (origination.services.figures) and a
simplified PDF, and recording when the borrower received them.

The PDF is a plain summary of the figures, clearly marked as simplified: it is not the official H-24 / H-25 layout.
"""

from __future__ import annotations

import threading
import types
import zlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import escrow
from origination.models import Application, Disclosure
from origination.models.choices import DisclosureRule
from origination.services import pdf_fonts, pdf_layout, pdf_lines, pdf_styles, pdf_text
from origination.services.compliance import compliance_run
from origination.services.figures import DisclosureError, LoanFigures, figures_for
from origination.services.figures import (  # re-exported: the demo seeds closings with it
    default_first_payment_date as default_first_payment_date,
)

LOAN_ESTIMATE = Disclosure.Kind.LOAN_ESTIMATE
CLOSING_DISCLOSURE = Disclosure.Kind.CLOSING_DISCLOSURE
TRUTH_IN_LENDING = Disclosure.Kind.TRUTH_IN_LENDING
# The disclosures each product's loans get (origination.models.choices.DISCLOSURE_RULES): the Loan Estimate and
# Closing Disclosure for mortgages (TRID), the 1026.18 disclosure for other consumer loans, none for business loans.
KINDS_BY_RULE: dict[str, tuple[str, ...]] = {
    DisclosureRule.TRID: (LOAN_ESTIMATE, CLOSING_DISCLOSURE),
    DisclosureRule.TRUTH_IN_LENDING: (TRUTH_IN_LENDING,),
    DisclosureRule.NONE: (),
}
# The disclosure whose figures a loan closes and funds on, by rule.
FINAL_KIND: dict[str, str] = {
    DisclosureRule.TRID: CLOSING_DISCLOSURE,
    DisclosureRule.TRUTH_IN_LENDING: TRUTH_IN_LENDING,
}
# Who issues what: the Loan Estimate at application, the Closing Disclosure at closing, the 1026.18 disclosure
# any time after approval before consummation.
ISSUE_ROLES: dict[str, tuple[str, ...]] = {
    LOAN_ESTIMATE: (roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER),
    CLOSING_DISCLOSURE: (roles.CLOSER, roles.MANAGER),
    TRUTH_IN_LENDING: (roles.LOAN_OFFICER, roles.PROCESSOR, roles.CLOSER, roles.MANAGER),
}
RECEIPT_ROLES = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.CLOSER, roles.MANAGER)
# Statuses in which each disclosure may be issued (a Loan Estimate from application; a CD once approved).
ISSUE_STATUSES: dict[str, tuple[str, ...]] = {
    LOAN_ESTIMATE: (
        "draft",
        "submitted",
        "processing",
        "underwriting",
        "approved",
        "conditionally_approved",
        "suspended",
        "clear_to_close",
    ),
    CLOSING_DISCLOSURE: ("approved", "conditionally_approved", "clear_to_close", "closing"),
    TRUTH_IN_LENDING: ("approved", "conditionally_approved", "clear_to_close", "closing"),
}
PDF_TEMPLATES: dict[str, str] = {
    LOAN_ESTIMATE: "pdf/loan_estimate.html",
    CLOSING_DISCLOSURE: "pdf/closing_disclosure.html",
    TRUTH_IN_LENDING: "pdf/truth_in_lending.html",
}


def kinds_for(application: Application) -> tuple[str, ...]:
    """The disclosures this application's product calls for."""
    return KINDS_BY_RULE[application.product.disclosure_rule]


def final_disclosure(application: Application) -> Disclosure | None:
    """The latest disclosure the loan closes and funds on (the Closing Disclosure, or the Truth in Lending
    disclosure of a consumer loan); None for a business loan or before one is issued."""
    kind = FINAL_KIND.get(application.product.disclosure_rule)
    if kind is None:
        return None
    return application.disclosures.filter(kind=kind).order_by("-issued_on", "-id").first()


def monthly_escrow_estimate(application: Application) -> Decimal | None:
    """Estimated escrow per month (taxes and insurance / 12) when the product escrows, else None."""
    prop = getattr(application, "subject_property", None)
    if not application.product.escrow_required or prop is None:
        return None
    return escrow.monthly_payments(prop.annual_property_tax + prop.annual_insurance)[0]


# --- documents -------------------------------------------------------------------------------------------


LOAN_DOCUMENT_STYLESHEET = "templates/pdf/loan_document.css"  # the style of templates/pdf/loan_document_base.html
USER_AGENT_STYLESHEET = "templates/pdf/print_ua.css"


def pdf_render(
    template_name: str, context: dict[str, Any], *, stylesheets: tuple[str, ...] = (LOAN_DOCUMENT_STYLESHEET,)
) -> bytes:
    """A PDF rendered by WeasyPrint from a template under templates/pdf/ (system fonts, no network).
    ``stylesheets`` are CSS files (paths under the project root) applied as user stylesheets: by default the loan
    document base's, for the templates that extend it; a template with a page of its own passes its own. They, the
    user-agent sheet (``_html_class``) and the font configuration are each made once per process and thread, so a
    worker rendering thousands of statements or letters pays for none of them per document."""
    return pdf_render_pages(template_name, context, stylesheets=stylesheets)[0]


def pdf_render_pages(
    template_name: str, context: dict[str, Any], *, stylesheets: tuple[str, ...] = (LOAN_DOCUMENT_STYLESHEET,)
) -> tuple[bytes, int]:
    """``pdf_render``'s PDF and its number of pages, as WeasyPrint laid them out: a caller storing the PDF with its
    page count need not read the PDF back (servicing.services.documents.pdf_pages)."""
    html = render_to_string(template_name, context)
    _deflate_at_default_level()
    pdf_text.install()
    pdf_lines.install()
    pdf_styles.install()
    pdf_fonts.install()
    pdf_layout.install()
    fonts = _font_config()
    sheets = [_stylesheet(path) for path in stylesheets]
    document = _html_class()(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()).render(
        stylesheets=sheets, font_config=fonts
    )
    pdf: bytes = document.write_pdf()
    return pdf, len(document.pages)


PDF_DEFLATE_LEVEL = 6  # zlib's default: within 5 % of level 9's size at a seventh of its time


class _DeflateAtLevel(types.ModuleType):
    """``zlib`` for pydyf, whose streams would otherwise all be deflated at level 9 (see _deflate_at_default_level);
    anything but ``compressobj`` is zlib's own."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = PDF_DEFLATE_LEVEL, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return zlib.compressobj(PDF_DEFLATE_LEVEL, *args, **kwargs)
        return pdf_fonts.Deflater(PDF_DEFLATE_LEVEL)  # an embedded font's subset deflated once per process


def _deflate_at_default_level() -> None:
    """Make pydyf (WeasyPrint's PDF writer) deflate page and font streams at ``PDF_DEFLATE_LEVEL``.

    pydyf's ``Stream.data`` calls ``zlib.compressobj(level=9)`` on its module's ``zlib``, with no option to change
    it: level 9 took a tenth of the amortization schedule's render for 5 % less size than level 6. The module's
    ``zlib`` name is pointed at ``_DeflateAtLevel`` once per process (a test checks pydyf still deflates through
    it: were a later pydyf to call zlib otherwise, documents would render as before, only slower)."""
    import pydyf

    if not isinstance(pydyf.zlib, _DeflateAtLevel):
        pydyf.zlib = _DeflateAtLevel("zlib")


_weasyprint = threading.local()  # Pango's font map is not shared between threads: one of each per thread


def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_weasyprint, "fonts", None) is None:
        _weasyprint.fonts, _weasyprint.sheets, _weasyprint.html_class = FontConfiguration(), {}, None
    return _weasyprint.fonts


def _url_fetcher() -> Any:
    """WeasyPrint's URL fetcher, once per process and thread: ``HTML`` makes one for every document otherwise (a
    urllib opener and its nine handlers), though our templates fetch nothing."""
    from weasyprint.urls import URLFetcher

    fetcher = getattr(_weasyprint, "url_fetcher", None)
    if fetcher is None:
        fetcher = _weasyprint.url_fetcher = URLFetcher()
    return fetcher


def _stylesheet(path: str) -> Any:
    """The parsed WeasyPrint stylesheet of ``path`` (relative to the project root), once per process and thread."""
    from weasyprint import CSS

    fonts = _font_config()
    if path not in _weasyprint.sheets:
        _weasyprint.sheets[path] = pdf_styles.share(CSS(filename=str(settings.BASE_DIR / path), font_config=fonts))
    return _weasyprint.sheets[path]


def _html_class() -> Any:
    """WeasyPrint's ``HTML`` with ``USER_AGENT_STYLESHEET`` as its user-agent sheet, in place of its default.

    WeasyPrint matches each of the ~250 rules of its HTML5 default sheet (and its presentational hints) against
    every element of every document: a tenth of the time of a one-page letter. ``HTML`` has no public option for
    it, so the subclass overrides its ``_ua_stylesheets`` and ``_ph_stylesheets`` hooks (a test checks they still
    exist). Were a later WeasyPrint to rename them, the override would go unused and documents would render with
    the default sheet: slower, and the same (ours keeps the default's rules for the elements our templates use)."""
    from weasyprint import HTML

    _font_config()
    if _weasyprint.html_class is None:
        sheet = _stylesheet(USER_AGENT_STYLESHEET)

        class _OwnUserAgentHTML(HTML):  # type: ignore[misc]
            def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
                return [sheet]

            def _ph_stylesheets(self) -> list[Any]:
                return []

        _weasyprint.html_class = _OwnUserAgentHTML
    return _weasyprint.html_class


def percent_display(value: Decimal) -> str:
    """A percentage without trailing zeros and never in exponent form: 6.5000 -> "6.5", 3.8750 -> "3.875"."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class PaymentGroup:
    """Payments of one amount in a row, as the 1026.18(g) payment schedule shows them."""

    count: int
    amount: Decimal
    first_due: date
    frequency: str


def payment_groups(figures: LoanFigures) -> list[PaymentGroup]:
    """The schedule as runs of equal payments (an odd first payment and a smaller last one stand alone)."""
    groups: list[PaymentGroup] = []
    for row in figures.schedule.rows:
        last = groups[-1] if groups else None
        if last is not None and last.amount == row.payment:
            groups[-1] = PaymentGroup(last.count + 1, last.amount, last.first_due, last.frequency)
        else:
            groups.append(PaymentGroup(1, row.payment, row.due_date, figures.frequency))
    return groups


def document_context(application: Application, figures: LoanFigures, **extra: Any) -> dict[str, Any]:
    """What every loan document shows: the parties, the property, the terms and the figures."""
    product = application.product
    return {
        "creditor_name": getattr(settings, "LENDING_CREDITOR_NAME", "the Lender"),
        "rate_display": percent_display(figures.annual_rate),
        "origination_fee_display": percent_display(product.origination_fee_percent),
        "late_fee_display": percent_display(product.late_fee_percent),
        "application": application,
        "product": product,
        "borrowers": list(application.borrowers.all()),
        "property": getattr(application, "subject_property", None),
        "figures": figures,
        "schedule_head": figures.schedule.rows[:3],
        "payment_groups": payment_groups(figures),
        "escrow_monthly": monthly_escrow_estimate(application),
        "is_mortgage": product.kind == "mortgage",
        "generated_at": timezone.now(),
        **extra,
    }


# --- writes ----------------------------------------------------------------------------------------------


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("product").get(pk=application.pk)


@transaction.atomic
def disclosure_issue(
    *,
    actor: User,
    application: Application,
    kind: str,
    issued_on: date,
    delivery: str,
    received_on: date | None = None,
) -> Disclosure:
    """Issue a Loan Estimate or Closing Disclosure (mortgages) or a Truth in Lending disclosure (other consumer
    loans): compute its figures, render its PDF, record when it was delivered (and received, if known), then refresh
    the compliance checks. Raises DisclosureError, also for a disclosure the product's kind does not call for."""
    if kind not in ISSUE_ROLES:
        raise DisclosureError(f"Unknown disclosure {kind!r}.")
    label = Disclosure.Kind(kind).label
    if not roles.has_role(actor, *ISSUE_ROLES[kind]):
        raise PermissionDenied(f"Your role may not issue a {label}.")
    if delivery not in Disclosure.Delivery.values:
        raise DisclosureError(f"Unknown delivery method {delivery!r}.")
    app = _lock(application)
    if kind not in kinds_for(app):
        raise DisclosureError(_not_for_product(app, label))
    if app.status not in ISSUE_STATUSES[kind]:
        raise DisclosureError(f"A {label} cannot be issued while the application is {app.get_status_display()}.")
    if app.application_date is None:
        raise DisclosureError("The application is not complete yet (no application date): nothing to disclose.")
    today = timezone.localdate()
    if issued_on < app.application_date or issued_on > today:
        raise DisclosureError(f"The issue date must be between the application date {app.application_date} and today.")
    if received_on is not None and not issued_on <= received_on <= today:
        raise DisclosureError("The receipt date must be between the issue date and today.")
    if delivery == Disclosure.Delivery.EMAIL and app.econsent_at is None:
        raise DisclosureError("Electronic delivery needs the borrower's e-consent (E-Sign Act); mail it instead.")
    if kind == CLOSING_DISCLOSURE and not app.disclosures.filter(kind=LOAN_ESTIMATE).exists():
        raise DisclosureError("Issue a Loan Estimate before the Closing Disclosure.")
    if kind == LOAN_ESTIMATE:
        _refuse_revision_after_closing_disclosure(app, issued_on)
    if received_on is None and delivery == Disclosure.Delivery.IN_PERSON:
        received_on = issued_on
    figures = figures_for(app, issued_on)
    disclosure = Disclosure(
        application=app,
        kind=kind,
        issued_on=issued_on,
        delivery=delivery,
        received_on=received_on,
        loan_amount=figures.loan_amount,
        annual_rate=figures.annual_rate,
        apr=figures.disclosed_apr,
        finance_charge=figures.finance_charge,
        amount_financed=figures.amount_financed,
        total_of_payments=figures.total_of_payments,
        monthly_payment=figures.payment,
        points_and_fees=figures.points_and_fees,
        issued_by=actor,
    )
    pdf = pdf_render(PDF_TEMPLATES[kind], document_context(app, figures, disclosure=disclosure))
    disclosure.document.save(f"{app.number}-{kind.replace('_', '-')}.pdf", ContentFile(pdf), save=False)
    try:
        disclosure.save()
        audit_record(
            actor=actor,
            verb=f"disclosure.{kind}.issued",
            target=disclosure,
            after={"issued_on": issued_on, "delivery": delivery, "received_on": received_on, **figures.summary()},
        )
        compliance_run(application=app, actor=actor)  # the timing and APR checks read the disclosures
    except BaseException:
        disclosure.document.delete(save=False)  # no stored file without its row
        raise
    return disclosure


def _not_for_product(app: Application, label: str) -> str:
    kind = app.product.get_kind_display().lower()
    rule = app.product.disclosure_rule
    if rule == DisclosureRule.NONE:
        return f"A {label} is not given for a {kind} loan: business-purpose credit is exempt from Regulation Z."
    if rule == DisclosureRule.TRUTH_IN_LENDING:
        return f"A {label} is for mortgages (TRID); a {kind} loan gets the Truth in Lending disclosure (1026.18)."
    return (
        f"A {label} is for consumer loans other than mortgages; a mortgage gets a Loan Estimate and Closing Disclosure."
    )


def _refuse_revision_after_closing_disclosure(app: Application, issued_on: date) -> None:
    """1026.19(e)(4)(ii): no revised Loan Estimate on or after the day the Closing Disclosure is provided."""
    cds = app.disclosures.filter(kind=CLOSING_DISCLOSURE).order_by("issued_on")
    first_cd_on = cds.values_list("issued_on", flat=True).first()
    if first_cd_on is not None and issued_on >= first_cd_on:
        raise DisclosureError(
            f"A revised Loan Estimate cannot be provided on or after the day the Closing Disclosure was provided "
            f"({first_cd_on}, 1026.19(e)(4)(ii)): issue a corrected Closing Disclosure instead."
        )


@transaction.atomic
def disclosure_record_receipt(*, actor: User, disclosure: Disclosure, received_on: date) -> Disclosure:
    """Record when the borrower actually received a disclosure (replacing the presumed receipt)."""
    if not roles.has_role(actor, *RECEIPT_ROLES):
        raise PermissionDenied("Your role may not record disclosure receipts.")
    locked = Disclosure.objects.select_for_update().select_related("application__product").get(pk=disclosure.pk)
    if not locked.issued_on <= received_on <= timezone.localdate():
        raise DisclosureError("The receipt date must be between the issue date and today.")
    before = locked.received_on
    locked.received_on = received_on
    locked.save(update_fields=["received_on"])
    audit_record(
        actor=actor,
        verb=f"disclosure.{locked.kind}.received",
        target=locked,
        before={"received_on": before},
        after={"received_on": received_on},
    )
    compliance_run(application=locked.application, actor=actor)
    return locked
