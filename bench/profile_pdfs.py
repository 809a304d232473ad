"""Where a PDF's CPU goes (issue 15, PDFs): each of the letters, the statement and the schedule rendered ``REPEAT``
times as ``pdf_render`` renders them, timed by WeasyPrint's phases in the process's CPU time.

The phases: the Django template, the HTML parse (tinyhtml5 and cssselect2's wrapper), the cascade
(``get_all_computed_styles``; styles are computed lazily, so layout pays for some), the boxes
(``build_formatting_structure``), the layout, the drawing (``generate_pdf``) and pydyf's writing. With
``LENDING_PROFILE=tottime`` (or ``cumulative``) cProfile's top functions are printed too. ``LENDING_PROFILE_DUMP=dir``
writes each document's HTML there (``*.html``, with its stylesheets in ``*.css.txt``), for work without a database.

It needs the seeded portfolio for the letters and the statement (run it as a bench would, or with DATABASE_URL set to
the bench's cluster); the payoff quote it issues is rolled back.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

REPEAT = int(os.environ.get("LENDING_PROFILE_REPEAT", "50"))
PHASES = ("template", "parse", "cascade", "boxes", "layout", "draw", "write")


class _Rollback(Exception):
    pass


class PhaseClock:
    """The process CPU time spent in each phase (outermost only: a phase inside another counts for the outer)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._depth = 0

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.process_time() - start
                self._depth -= 1

        return timed


@contextmanager
def phases_timed(clock: PhaseClock) -> Iterator[None]:
    """WeasyPrint's and Django's phase functions wrapped by ``clock`` (and put back afterwards)."""
    import cssselect2
    import pydyf
    import tinyhtml5
    import weasyprint.document

    from origination.services import disclosures

    patches = [
        (disclosures, "render_to_string", "template"),
        (tinyhtml5, "parse", "parse"),
        (weasyprint.document, "get_all_computed_styles", "cascade"),
        (weasyprint.document, "build_formatting_structure", "boxes"),
        (weasyprint.document, "generate_pdf", "draw"),
        (pydyf.PDF, "write", "write"),
    ]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    wrapper = cssselect2.ElementWrapper.__dict__["from_html_root"]
    layout = weasyprint.document.layout_document
    try:
        for owner, name, phase in patches:
            setattr(owner, name, clock.wrap(phase, getattr(owner, name)))
        cssselect2.ElementWrapper.from_html_root = classmethod(clock.wrap("parse", wrapper.__func__))
        # A generator: its pages are laid out as the document takes them, so the clock runs over the whole list.
        weasyprint.document.layout_document = clock.wrap("layout", lambda *a: list(layout(*a)))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
        cssselect2.ElementWrapper.from_html_root = wrapper
        weasyprint.document.layout_document = layout


def documents() -> Iterator[tuple[str, Callable[[], object]]]:
    """(name, render) for each document, inside a transaction rolled back by the caller."""
    from bench._servicing_seed import PREFIX
    from bench.bench_pdfs import escrow_analysis_for_bench, schedule_context
    from bench.bench_statements import statement_date
    from origination.services.disclosures import pdf_render
    from servicing.models import BorrowerDocument, LoanAccount, LoanTransaction
    from servicing.selectors.statements import statement_figures
    from servicing.services.notices import BUILDERS, _common
    from servicing.services.payoff import payoff_letter_pdf, payoff_quote_issue, payoff_today
    from servicing.services.statements import statement_pdf

    loan = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status=LoanAccount.Status.ACTIVE).first()
    payment = LoanTransaction.objects.filter(loan=loan, kind=LoanTransaction.Kind.PAYMENT).order_by("-pk").first()
    assert loan is not None, "the seeded portfolio has no active loan"
    assert payment is not None, "the seeded portfolio's loan has no payment"
    today = payoff_today()
    quote = payoff_quote_issue(
        loan=loan, as_of=today, good_through=today + timedelta(days=10), actor=None, channel="staff"
    )
    yield "payoff letter", lambda: payoff_letter_pdf(quote)
    LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=True)
    analysis = escrow_analysis_for_bench()
    for name, kind, pk in (
        ("payment-received notice", BorrowerDocument.Kind.PAYMENT_RECEIVED, payment.pk),
        ("escrow-change notice", BorrowerDocument.Kind.ESCROW_CHANGE, analysis.pk if analysis else None),
    ):
        notice = BUILDERS[kind](pk) if pk is not None else None
        if notice is not None:
            context = {**_common(notice.loan), **notice.context}
            yield name, _notice_render(notice.template, context)
    business_date = statement_date([loan.pk])
    figures = statement_figures(business_date=business_date, loan_ids=[loan.pk])[0]
    yield "statement", lambda: statement_pdf(figures)
    context = schedule_context()
    yield "schedule (360 rows)", lambda: pdf_render("pdf/amortization_schedule.html", context)


def _notice_render(template: str, context: dict[str, Any]) -> Callable[[], object]:
    from origination.services.disclosures import pdf_render

    return lambda: pdf_render(template, context)


def profile(name: str, render: Callable[[], object], sort: str | None, dump: Path | None) -> None:
    from origination.services import disclosures

    if dump is not None:
        _dump(name, render, dump)
    render()  # once per process: stylesheets, fonts, shared styles
    clock = PhaseClock()
    profiler = cProfile.Profile() if sort else None
    with phases_timed(clock):
        start = time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(REPEAT):
            render()
        if profiler:
            profiler.disable()
        total = (time.process_time() - start) / REPEAT
    assert disclosures  # (imported for the patches)
    parts = "  ".join(f"{phase} {clock.seconds[phase] * 1000 / REPEAT:.1f}" for phase in PHASES)
    other = total * 1000 - sum(clock.seconds.values()) * 1000 / REPEAT
    print(f"{name:<26} {total * 1000:6.1f} ms CPU  ({parts}  other {other:.1f})", flush=True)
    if profiler and sort:
        pstats.Stats(profiler).sort_stats(sort).print_stats(35)


def _dump(name: str, render: Callable[[], object], folder: Path) -> None:
    from origination.services import disclosures

    captured: list[str] = []
    original = getattr(disclosures, "render_to_string")  # noqa: B009 (imported there, not exported)

    def capture(*args: Any, **kwargs: Any) -> str:
        captured.append(original(*args, **kwargs))
        return captured[-1]

    setattr(disclosures, "render_to_string", capture)  # noqa: B010
    try:
        render()
    finally:
        setattr(disclosures, "render_to_string", original)  # noqa: B010
    folder.mkdir(parents=True, exist_ok=True)
    stem = name.split(" (")[0].replace(" ", "_")
    (folder / f"{stem}.html").write_text(captured[-1])


def main() -> None:
    from django.db import transaction

    sort = os.environ.get("LENDING_PROFILE") or None
    dump = Path(os.environ["LENDING_PROFILE_DUMP"]) if os.environ.get("LENDING_PROFILE_DUMP") else None
    print(f"CPU per render, mean of {REPEAT}, by phase in ms; load {os.getloadavg()[0]:.2f}", flush=True)
    try:
        with transaction.atomic():
            for name, render in documents():
                profile(name, render, sort, dump)
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    from bench._django import setup

    setup()
    from django.conf import settings

    settings.DEBUG = False
    main()
