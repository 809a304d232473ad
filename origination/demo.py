"""Origination demo data for ``manage.py seed_demo``: products, the APOR table, and applications in every
workflow state, each driven there through the real services by the demo staff and borrowers.

History is simulated: the services stamp today and refuse back-dating, so each step of an application that
happened in the past runs under a patched clock (``_clock``) set to that business day. Idempotent: products and
APOR rows are looked up by their natural keys, applications by their primary borrower's email and loan amount.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import import_module
from unittest import mock

from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from lending.core import calendar
from lending.core import demo as core_demo
from lending.core.models import User
from lending.core.services import audit_record
from origination import workflow
from origination.models import (
    Application,
    AveragePrimeOfferRate,
    Borrower,
    Condition,
    Disclosure,
    Document,
    DocumentType,
    LoanProduct,
    ProductDocument,
    ProductFee,
    Status,
)
from origination.services import closing, communication, credit, disclosures, documents, intake, underwriting
from origination.services.workflow import TransitionBlocked, application_transition

D = Decimal
OFFICER, PROCESSOR, UNDERWRITER, CLOSER = (
    "officer@lending.test",
    "processor@lending.test",
    "underwriter@lending.test",
    "closer@lending.test",
)
ALICE, BOB = "alice@example.com", "bob@example.com"  # the demo borrowers (lending.core.demo)
_REAL_NOW = timezone.now

# --- products and the APOR table --------------------------------------------------------------------------

MORTGAGE_LIMITS = {
    "kind": "mortgage",
    "payment_frequency": "monthly",
    "amortization": "level",
    "day_count": "30/360",
    "allocation_strategy": "mortgage_standard",
    "min_amount": D("50000.00"),
    "max_amount": D("1500000.00"),
    "origination_fee_percent": D("1.0000"),
    "late_fee_percent": D("5.0000"),
    "grace_days": 15,
    "escrow_required": True,
    "max_ltv": D("95.0000"),
    "max_cltv": D("95.0000"),
    "max_dti": D("43.0000"),
    "min_credit_score": 620,
    "min_reserves_months": D("2.00"),
}
MORTGAGE_FEES = (  # (name, amount, finance charge, points and fees)
    ("Underwriting fee", D("895.00"), True, True),
    ("Appraisal fee", D("550.00"), False, False),
    ("Credit report fee", D("45.00"), False, False),
)
# code -> (fields, fees, checklist as (document type code, required for submission))
PRODUCTS = {
    "mortgage-30-fixed": (
        {"name": "30-year fixed mortgage", "annual_rate": D("6.5000"), "term_periods": 360, **MORTGAGE_LIMITS},
        MORTGAGE_FEES,
        (
            ("pay-stub", True),
            ("w-2", True),
            ("bank-statement", True),
            ("photo-id", True),
            ("purchase-contract", True),
            ("appraisal", False),
            ("title", False),
            ("insurance", False),
        ),
    ),
    "mortgage-15-fixed": (
        {"name": "15-year fixed mortgage", "annual_rate": D("5.8750"), "term_periods": 180, **MORTGAGE_LIMITS},
        MORTGAGE_FEES,
        (
            ("pay-stub", True),
            ("w-2", True),
            ("bank-statement", True),
            ("photo-id", True),
            ("appraisal", False),
            ("title", False),
            ("insurance", False),
        ),
    ),
    "personal-36": (
        {
            "name": "Personal installment loan",
            "kind": "consumer",
            "annual_rate": D("11.9900"),
            "term_periods": 36,
            "day_count": "actual/365",
            "allocation_strategy": "fees_interest_principal",
            "min_amount": D("1000.00"),
            "max_amount": D("50000.00"),
            "origination_fee_percent": D("2.0000"),
            "late_fee_flat": D("25.00"),
            "grace_days": 10,
            "max_dti": D("40.0000"),
            "min_credit_score": 640,
        },
        (),
        (("pay-stub", True), ("bank-statement", True), ("photo-id", True)),
    ),
    "business-term-60": (
        {
            "name": "Small business term loan",
            "kind": "business",
            "annual_rate": D("9.5000"),
            "term_periods": 60,
            "day_count": "actual/360",
            "allocation_strategy": "interest_principal_fees",
            "min_amount": D("10000.00"),
            "max_amount": D("500000.00"),
            "origination_fee_percent": D("1.5000"),
            "late_fee_percent": D("5.0000"),
            "grace_days": 10,
            "max_dti": D("45.0000"),
            "min_credit_score": 660,
        },
        (("Documentation fee", D("250.00"), True, True),),
        (("tax-return", True), ("bank-statement", True), ("photo-id", True)),
    ),
}
APOR_WEEKS = 12
APOR_BASE = {30: D("6.20"), 15: D("5.60")}  # fixed-rate APOR around which the weekly rows move
APOR_WIGGLE = (D("0.09"), D("0.06"), D("0.11"), D("0.04"), D("0.02"), D("0.07"), D("0.03"), D("0.00"))


def _standard_document_types() -> tuple:
    # The data migration's list: transactional tests flush its rows, so the demo makes sure they exist.
    return import_module("origination.migrations.0003_standard_document_types").STANDARD_DOCUMENT_TYPES


@transaction.atomic
def products_seed() -> list[LoanProduct]:
    """The demo products with their document checklists and fees (configuration, as a manager enters it in
    the admin). Existing products are left as they are."""
    types = {}
    for code, name, description, borrower_provides in _standard_document_types():
        types[code], _ = DocumentType.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "borrower_provides": borrower_provides}
        )
    products = []
    for code, (fields, fees, checklist) in PRODUCTS.items():
        product, created = LoanProduct.objects.get_or_create(code=code, defaults=fields)
        if created:
            ProductDocument.objects.bulk_create(
                ProductDocument(product=product, document_type=types[doc], required_for_submission=required)
                for doc, required in checklist
            )
            ProductFee.objects.bulk_create(
                ProductFee(product=product, name=name, amount=amount, is_finance_charge=fc, is_points_and_fees=pf)
                for name, amount, fc, pf in fees
            )
            audit_record(actor=None, verb="product.created", target=product, after={"code": code}, note="Demo data")
        products.append(product)
    return products


def apor_seed(today: date | None = None) -> int:
    """Weekly fixed-rate APOR rows (30 and 15 years) for the last APOR_WEEKS weeks. Returns the rows added."""
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    added = 0
    for week in range(APOR_WEEKS):
        effective = monday - timedelta(weeks=week)
        for term, base in APOR_BASE.items():
            rate = base + APOR_WIGGLE[(week + term) % len(APOR_WIGGLE)]
            _, created = AveragePrimeOfferRate.objects.get_or_create(
                effective_date=effective, is_fixed=True, term_years=term, defaults={"rate": rate}
            )
            added += created
    return added


def demo_pdf(title: str, *lines: str) -> bytes:
    """A tiny valid one-page PDF (Helvetica text), made by hand: demo uploads need no renderer."""

    def escape(text: str) -> bytes:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")

    body = [b"BT /F1 16 Tf 72 720 Td (" + escape(title) + b") Tj /F1 10 Tf"]
    for line in (*lines, "Demo document: generated test data."):
        body.append(b"0 -20 Td (" + escape(line) + b") Tj")
    stream = b" ".join(body) + b" ET"
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the simulated clock --------------------------------------------------------------------------------


@contextmanager
def _clock(moment: datetime | None) -> Iterator[None]:
    """Run the services as if it were ``moment`` (None: really now).

    The services read the time through ``django.utils.timezone.now`` (``localdate()`` calls it too), which is
    patched; model fields declared with ``default=timezone.now`` hold the original function, so their
    defaults are swapped for the duration as well (and Django's cached default getter is reset).
    """
    if moment is None:
        yield
        return
    started = _REAL_NOW()

    def fake_now() -> datetime:
        return moment + (_REAL_NOW() - started)

    fields = {
        id(f): f
        for model in django_apps.get_models()
        for f in model._meta.concrete_fields
        if getattr(f, "default", None) is _REAL_NOW
    }.values()
    try:
        for f in fields:
            f.default = fake_now
            f.__dict__.pop("_get_default", None)
        with mock.patch("django.utils.timezone.now", new=fake_now):
            yield
    finally:
        for f in fields:
            f.default = _REAL_NOW
            f.__dict__.pop("_get_default", None)


# --- who and what ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A demo borrower. The sandbox bureau scores an SSN 500 + (last four digits mod 351): ...-0262 scores 762."""

    first_name: str
    last_name: str
    ssn: str
    employer: str
    position: str
    income: str  # monthly base income
    street: str  # current address, in Springfield IL
    email: str = ""  # first.last@example.com unless given

    def __post_init__(self) -> None:
        if not self.email:
            object.__setattr__(self, "email", f"{self.first_name}.{self.last_name}@example.com".lower())


@dataclass(frozen=True)
class Home:
    street: str
    city: str
    postal_code: str
    value: str
    price: str | None = None  # purchases

    def data(self) -> dict:
        return {
            "address_line1": self.street,
            "city": self.city,
            "state": "IL",
            "postal_code": self.postal_code,
            "property_type": "single_family",
            "occupancy": "primary",
            "estimated_value": D(self.value),
            "purchase_price": D(self.price) if self.price else None,
            "annual_property_tax": D("4800.00"),
            "annual_insurance": D("1500.00"),
            "monthly_hoa": D("0.00"),
        }


@dataclass(frozen=True)
class Scenario:
    """One demo application: who applies for what, and the workflow state it is driven to."""

    target: str
    product: str
    purpose: str
    amount: str | None
    person: str  # a key of PEOPLE
    start: int  # the business day it starts, counted back from today
    online: bool = False  # the borrower applies in the portal; else the loan officer enters it
    assets: tuple[tuple[str, str, str], ...] = (("checking", "First Springfield Bank", "30000"),)
    liabilities: tuple[tuple, ...] = ()  # (kind, creditor, monthly payment, balance[, paid off at closing])
    home: Home | None = None
    conditional: bool = False  # approved with conditions on the way to closing
    stop_after: str = ""  # a draft: the last section saved
    story: tuple[tuple[str, str, str], ...] = ()  # (moment, who, message)


PEOPLE = {
    ALICE: Person("Alice", "Borrower", "318-42-0262", "Springfield Clinic", "Chemist", "12500", "88 Maple Ct", ALICE),
    BOB: Person("Bob", "Borrower", "402-17-0291", "Prairie State Logistics", "Dispatcher", "9800", "51 Walnut St", BOB),
    "maria": Person("Maria", "Lopez", "233-61-0305", "Lopez Family Bakery LLC", "Owner", "14200", "310 Market Street"),
    "carmen": Person("Carmen", "Diaz", "145-28-0318", "Springfield Schools", "Teacher", "5600", "22 Cedar Avenue"),
    "owen": Person("Owen", "Reed", "287-53-0276", "Capital City Electric", "Lineman", "10400", "640 Birch Road"),
    "david": Person("David", "Chen", "356-70-0322", "Memorial Health", "Nurse practitioner", "13800", "15 Pine Street"),
    "frank": Person("Frank", "Moore", "471-36-0110", "Moore Landscaping", "Owner", "7900", "77 Spruce Lane"),  # 610
    "grace": Person("Grace", "Kim", "520-84-0055", "Kim Design Studio", "Designer", "5200", "408 Aspen Way"),  # 555
    "henry": Person("Henry", "Patel", "612-45-0289", "State Farm", "Actuary", "14600", "55 Poplar Drive"),
    "isabel": Person("Isabel", "Garcia", "538-19-0301", "Horace Mann", "Claims analyst", "11200", "9 Chestnut Street"),
    "james": Person("James", "Wright", "264-90-0284", "Illinois Revenue Dept.", "Auditor", "9900", "114 Hickory Road"),
    "sam": Person("Sam", "Ortiz", "190-77-0333", "Ortiz Plumbing Inc.", "President", "18500", "700 Industrial Pkwy"),
}  # fmt: skip
M30, M15, PERSONAL, BUSINESS = "mortgage-30-fixed", "mortgage-15-fixed", "personal-36", "business-term-60"
SCENARIOS = (
    Scenario("draft", M30, "purchase", None, ALICE, start=2, online=True, stop_after="liabilities",
             home=Home("1420 Lakeview Drive", "Springfield", "62712", "435000", "429000")),
    Scenario("funded", M30, "purchase", "340000", ALICE, start=34, online=True, conditional=True,
             assets=(("checking", "First Springfield Bank", "38000"), ("savings", "Prairie Credit Union", "92000"),
                     ("retirement", "Fidelity 401(k)", "64000")),
             liabilities=(("auto", "Sandbox Auto Finance", "385", "9200"),),
             home=Home("88 Maple Court", "Springfield", "62704", "425000", "425000"),
             story=(("submitted", "borrower", "Hi! I uploaded everything I had. Do you need my 2023 W-2 as well?"),
                    ("submitted", "officer", "Thanks Alice, the last two years are enough. We will be in touch."),
                    ("closed", "borrower", "Signed everything today. When is my first payment due?"),
                    ("closed", "closer", "Congratulations! The first payment letter is with your closing papers."))),
    Scenario("funded", PERSONAL, "personal", "15000", BOB, start=38, online=True,
             liabilities=(("revolving", "Example Bank Visa", "120", "3900"),),
             story=(("submitted", "borrower", "This is to pay off two store cards."),)),
    Scenario("conditionally_approved", M15, "refinance", "210000", BOB, start=7, online=True, conditional=True,
             assets=(("checking", "Prairie Credit Union", "24000"), ("savings", "Prairie Credit Union", "31000")),
             liabilities=(("mortgage", "Sandbox Home Loans", "1890", "214000", True),),
             home=Home("51 Walnut Street", "Springfield", "62702", "365000"),
             story=(("decided", "underwriter", "Approved with conditions: please upload the declarations page of "
                                               "your homeowner's insurance, naming us as mortgagee."),)),
    Scenario("withdrawn", M30, "purchase", "300000", BOB, start=24, online=True,
             assets=(("checking", "Prairie Credit Union", "41000"), ("savings", "Prairie Credit Union", "52000")),
             home=Home("7 Orchard Lane", "Chatham", "62629", "372000", "369000")),
    Scenario("submitted", BUSINESS, "business", "85000", "maria", start=1,
             assets=(("checking", "First Springfield Bank", "46000"),)),
    Scenario("processing", PERSONAL, "personal", "9500", "carmen", start=3,
             liabilities=(("student", "Sandbox Student Loans", "210", "18000"),)),
    Scenario("underwriting", M30, "purchase", "288000", "owen", start=5,
             assets=(("checking", "First Springfield Bank", "28000"), ("savings", "First Springfield Bank", "61000")),
             liabilities=(("auto", "Test Motors Credit", "410", "14100"),),
             home=Home("19 Sunset Ridge", "Springfield", "62711", "360000", "360000")),
    Scenario("approved", M15, "purchase", "240000", "david", start=8,
             assets=(("checking", "Illini Bank", "52000"), ("investment", "Vanguard", "140000")),
             home=Home("902 Willow Bend", "Springfield", "62707", "330000", "325000")),
    Scenario("suspended", M30, "purchase", "255000", "frank", start=9,
             assets=(("checking", "First Springfield Bank", "74000"),),
             liabilities=(("auto", "Sandbox Auto Finance", "355", "11800"),),
             home=Home("3 Meadow Court", "Rochester", "62563", "300000", "298000")),
    Scenario("denied", M30, "purchase", "395000", "grace", start=10,
             assets=(("checking", "Illini Bank", "45000"),),
             liabilities=(("auto", "Test Motors Credit", "640", "28000"),
                          ("student", "Example Education", "520", "48000"),
                          ("revolving", "Test Retail Card", "300", "9800")),
             home=Home("1200 Highland Avenue", "Springfield", "62704", "420000", "420000")),
    Scenario("clear_to_close", M30, "purchase", "312000", "henry", start=9,
             assets=(("checking", "First Springfield Bank", "48000"), ("savings", "Illini Bank", "75000")),
             home=Home("260 Brookside Lane", "Springfield", "62711", "390000", "390000")),
    Scenario("closing", M30, "purchase", "276000", "isabel", start=11,
             assets=(("checking", "Illini Bank", "33000"), ("savings", "Illini Bank", "66000")),
             home=Home("48 Fox Run", "Sherman", "62684", "345000", "345000"),
             story=(("closing", "closer", "Closing is booked at Lincoln Title; please bring a photo ID."),)),
    Scenario("closed", M15, "refinance", "198000", "james", start=14,
             assets=(("checking", "First Springfield Bank", "27000"), ("savings", "Illini Bank", "39000")),
             liabilities=(("mortgage", "Sandbox Home Loans", "1710", "201000", True),),
             home=Home("114 Hickory Road", "Springfield", "62703", "340000")),
    Scenario("funded", BUSINESS, "business", "120000", "sam", start=28,
             assets=(("checking", "First Springfield Bank", "88000"),)),
)  # fmt: skip
# How many applications the demo puts in each state (the tests hold the seed to it).
DESIGN = {status: sum(1 for s in SCENARIOS if s.target == status) for status in Status.values}
STAGES = (
    "draft",
    "submitted",
    "processing",
    "underwriting",
    "decided",
    "clear_to_close",
    "closing",
    "closed",
    "funded",
)
DECIDED = ("approved", "conditionally_approved", "suspended", "denied")
STAGE_OF = {"withdrawn": "processing", **dict.fromkeys(DECIDED, "decided")}


# --- driving one application ----------------------------------------------------------------------------


class _Story:
    """Drives one scenario through the services as the demo users, each step on its business day.

    Days count in general business days from the scenario's start; the steps of a day run from the given hour,
    seven minutes apart. Anything that cannot happen (a blocked transition, a date after today) raises.
    """

    def __init__(self, scenario: Scenario, users: dict[str, User], today: date):
        self.s, self.today, self.person = scenario, today, PEOPLE[scenario.person]
        self.app: Application = None  # type: ignore[assignment]  # made by the first step (application_start)
        self.moment: datetime | None = None
        self.borrower_user = users[self.person.email] if scenario.online else None
        self.officer, self.processor = users[OFFICER], users[PROCESSOR]
        self.underwriter, self.closer = users[UNDERWRITER], users[CLOSER]
        stage = STAGES.index(STAGE_OF.get(scenario.target, scenario.target))
        self.reach = {name: i <= stage for i, name in enumerate(STAGES)}
        self.mortgage = scenario.home is not None
        self.closing_date: date = None  # type: ignore[assignment]  # set when the closing is scheduled

    def day(self, offset: int) -> date:
        back = offset - self.s.start
        return self.today if back == 0 else calendar.add_business_days(self.today, back, calendar.GENERAL)

    def on(self, when: date, hour: int) -> None:
        if when > self.today:
            raise ValueError(f"The {self.s.target} demo application would act in the future ({when}).")
        self.moment = None if when == self.today else timezone.make_aware(datetime.combine(when, time(hour)))

    @contextmanager
    def step(self) -> Iterator[None]:
        with _clock(self.moment):
            yield
        if self.app is not None:
            # Services save their own locked copy and the workflow saves the whole row: never keep a stale one.
            self.app.refresh_from_db()
        if self.moment is not None:
            self.moment += timedelta(minutes=7)

    def move(self, name: str, actor: User, note: str = "") -> None:
        with self.step():
            try:
                application_transition(application=self.app, name=name, actor=actor, note=note)
            except TransitionBlocked as exc:
                raise TransitionBlocked(f"{self.s.target} demo: {exc} {'; '.join(exc.reasons)}", exc.reasons) from exc

    def post(self, who: str, body: str, internal: bool = False) -> None:
        author = self.borrower_user if who == "borrower" else getattr(self, who)
        with self.step():
            communication.message_post(actor=author, application=self.app, body=body, is_internal=internal)  # type: ignore[arg-type]  # online stories post as the borrower

    def tell(self, moment: str) -> None:
        for when, who, body in self.s.story:
            if when == moment:
                self.post(who, body)

    def task(self, title: str, assignee: User, due_on: date) -> None:
        with self.step():
            communication.task_create(
                actor=self.officer, application=self.app, title=title, assignee=assignee, due_on=due_on
            )

    def assign(self, **team: User) -> None:
        # There is no assignment service yet: an audited update of the team fields (never the status).
        with self.step():
            before = {name: getattr(self.app, f"{name}_id") for name in team}
            Application.objects.filter(pk=self.app.pk).update(**team)
            after = {name: user.email for name, user in team.items()}
            audit_record(
                actor=self.officer, verb="application.team_assigned", target=self.app, before=before, after=after
            )

    # the stages, in order --------------------------------------------------------------------------------

    def run(self, product: LoanProduct) -> Application:
        self.intake(product)
        if self.reach["submitted"]:
            self.submit()
        if self.reach["processing"]:
            self.process()
        if self.s.target == "withdrawn":
            self.on(self.day(4), 15)
            self.move("withdraw", self.borrower_user or self.officer, "The seller took another offer; we stay put.")
        if self.reach["underwriting"]:
            self.on(self.day(3), 10)
            self.assign(underwriter=self.underwriter)
            self.move("send_to_underwriting", self.processor, "File complete: documents, credit and AUS.")
            if not self.reach["decided"]:
                self.task("Underwrite the file", self.underwriter, calendar.add_business_days(self.today, 1))
        if self.reach["decided"]:
            self.decide()
        if self.reach["clear_to_close"]:
            self.clear_to_close()
        if self.reach["closing"]:
            self.start_closing()
        if self.reach["closed"]:
            self.close()
        if self.reach["funded"]:
            self.fund()
        return self.app

    def intake(self, product: LoanProduct) -> None:
        s, p = self.s, self.person
        actor = self.borrower_user or self.officer
        self.on(self.day(0), 9)
        with self.step():
            self.app = intake.application_start(
                actor=actor, product=product, purpose=s.purpose, applicant=self.borrower_user, loan_officer=self.officer
            )
        borrower = {
            "first_name": p.first_name, "last_name": p.last_name, "email": p.email, "phone": "217-555-0142",
            "date_of_birth": date(1984, 6, 1), "ssn": p.ssn, "marital_status": "unmarried", "dependents": 0,
            "address_line1": p.street, "city": "Springfield", "state": "IL", "postal_code": "62703",
            "years_at_address": D("4.0"), "monthly_housing_expense": D("1650.00"),
        }  # fmt: skip
        assets = [{"kind": kind, "institution": inst, "balance": D(bal)} for kind, inst, bal in s.assets]
        debts = [
            {"kind": kind, "creditor": who, "monthly_payment": D(pay), "balance": D(bal), "paid_off_at_closing": any(x)}
            for kind, who, pay, bal, *x in s.liabilities
        ]  # fmt: skip
        answers = {code: code == "intend_to_occupy" for code, _ in intake.declaration_questions(product)}
        sections = [
            ("borrower", lambda: intake.borrower_save(actor=actor, application=self.app, data=borrower)),
            ("employment", lambda: intake.employment_save(actor=actor, application=self.app, rows=[self.job()])),
            ("assets", lambda: intake.asset_save(actor=actor, application=self.app, rows=assets)),
            ("liabilities", lambda: intake.liability_save(actor=actor, application=self.app, rows=debts)),
        ]
        if s.home is not None:
            sections.append(
                ("property", lambda: intake.property_save(actor=actor, application=self.app, data=s.home.data()))  # type: ignore[union-attr]  # checked above
            )
        request = {"purpose": s.purpose, "amount_requested": D(s.amount) if s.amount else None}
        sections.append(("loan", lambda: intake.loan_request_save(actor=actor, application=self.app, data=request)))
        declarations = {**answers, "citizenship": "us_citizen"}
        sections.append(
            ("declarations", lambda: intake.declarations_save(actor=actor, application=self.app, data=declarations))
        )
        for slug, save in sections:
            with self.step():
                save()
                if s.online:  # the online form remembers the step reached, for "resume"
                    intake.intake_step_save(actor=actor, application=self.app, step=slug)
            if slug == s.stop_after:
                return
        if s.online:
            with self.step():
                intake.econsent_record(actor=actor, application=self.app)
                intake.intake_step_save(actor=actor, application=self.app, step="review")

    def job(self) -> dict:
        return {
            "borrower": self.app.borrowers.get(is_primary=True), "employer_name": self.person.employer,
            "position": self.person.position, "start_date": date(2017, 3, 1), "is_current": True,
            "is_self_employed": False, "monthly_base_income": D(self.person.income), "monthly_other_income": D("0"),
        }  # fmt: skip

    def submit(self) -> None:
        with self.step():
            if self.s.online:
                intake.application_submit_online(actor=self.borrower_user, application=self.app)  # type: ignore[arg-type]  # online: a user
            else:
                application_transition(application=self.app, name="submit", actor=self.officer)
            # The submit receiver asks for the checklist on commit; asked here too (idempotent) to have it now.
            documents.documents_request_checklist(application=self.app, actor=self.borrower_user or self.officer)
        self.tell("submitted")
        self.on(self.day(1), 10)
        if self.reach["processing"] or self.mortgage:
            self.disclose(Disclosure.Kind.LOAN_ESTIMATE, self.officer, self.day(1))
        self.upload_borrower_documents(exclude=("insurance",))
        if self.mortgage:
            due = self.day(3) if self.reach["underwriting"] else calendar.add_business_days(self.today, 2)
            self.task("Order the appraisal and the title commitment", self.processor, due)

    def disclose(self, kind: str, actor: User, issued_on: date, received_on: date | None = None) -> None:
        if self.s.online:
            delivery = Disclosure.Delivery.EMAIL  # e-consent is on file
        elif kind == Disclosure.Kind.LOAN_ESTIMATE:
            delivery = Disclosure.Delivery.MAIL
        else:
            delivery = Disclosure.Delivery.IN_PERSON
        with self.step():
            disclosures.disclosure_issue(
                actor=actor,
                application=self.app,
                kind=kind,
                issued_on=issued_on,
                delivery=delivery,
                received_on=received_on,
            )

    def upload(self, code: str, actor: User) -> None:
        doc_type = DocumentType.objects.get(code=code)
        pdf = demo_pdf(
            doc_type.name, f"{self.person.first_name} {self.person.last_name}", f"Application {self.app.number}"
        )
        upload = SimpleUploadedFile(f"{code}.pdf", pdf, content_type="application/pdf")
        with self.step():
            documents.document_upload(actor=actor, application=self.app, document_type=doc_type, uploaded_file=upload)

    def upload_borrower_documents(self, exclude=()) -> None:
        # Online borrowers upload in the portal; for applications taken by phone the processor files the emails.
        wanted = self.app.documents.filter(document_type__borrower_provides=True).exclude(
            document_type__code__in=exclude
        )
        for code in wanted.order_by("document_type__name").values_list("document_type__code", flat=True):
            self.upload(code, self.borrower_user or self.processor)

    def verify(self, *codes: str, limit: int | None = None) -> None:
        pending = self.app.documents.filter(status=Document.Status.UPLOADED).order_by("document_type__name")
        if codes:
            pending = pending.filter(document_type__code__in=codes)
        for document in list(pending)[:limit]:
            with self.step():
                documents.document_verify(actor=self.processor, document=document)

    def process(self) -> None:
        self.on(self.day(2), 9)
        self.assign(processor=self.processor)
        self.move("start_processing", self.processor)
        if self.s.target == "processing":  # half-way: two documents checked, credit pulled, no AUS yet
            self.verify(limit=2)
            with self.step():
                credit.credit_pull(actor=self.processor, application=self.app)
            self.task(
                "Call the employer to verify employment", self.processor, calendar.add_business_days(self.today, 1)
            )
            return
        self.verify()
        with self.step():
            reports = credit.credit_pull(actor=self.processor, application=self.app)
            finding = underwriting.underwriting_run(actor=self.processor, application=self.app)
        scores = ", ".join(str(r.score) for r in reports)
        note = (
            f"Credit pulled (score {scores}); AUS {finding.get_recommendation_display()}, DTI {finding.back_dti:.2f}%."
        )
        self.post("processor", note, internal=True)
        if self.mortgage:
            for code in ("appraisal", "title"):  # ordered by the lender, filed by the processor
                self.upload(code, self.processor)
            self.verify("appraisal", "title")
            with self.step():
                for task in self.app.tasks.filter(done_at__isnull=True):
                    communication.task_complete(actor=self.processor, task=task)

    def condition(self, stage: str, text: str, doc_code: str | None = None) -> Condition:
        doc_type = DocumentType.objects.get(code=doc_code) if doc_code else None
        with self.step():
            return underwriting.condition_add(
                actor=self.underwriter, application=self.app, stage=stage, description=text, document_type=doc_type
            )

    def decide(self) -> None:
        self.on(self.day(5), 10)
        reasons, note = [], "Within guidelines; strong reserves."
        if self.s.target == "denied":
            outcome, reasons = "denied", ["excessive_obligations", "delinquent_obligations"]
            note = "Debt-to-income far above the 43% limit and a score under the product minimum."
        elif self.s.target == "suspended":
            self.condition(
                "prior_to_approval", "Letter of explanation for the 60-day late payment on the credit report"
            )
            self.condition("prior_to_approval", "Two years of business tax returns (self-employed)", "tax-return")
            outcome, note = "suspended", "Suspended until the letter of explanation and the tax returns are in."
        else:
            first = self.condition("prior_to_approval", "Letter of explanation for the recent credit inquiries")
            with self.step():
                underwriting.condition_clear(actor=self.underwriter, condition=first, note="Letter received; fine.")
            if self.mortgage:
                self.condition("prior_to_funding", "Verbal verification of employment within 10 days of closing")
            outcome = "approved"
            if self.s.conditional:
                self.condition(
                    "prior_to_docs", "Homeowner's insurance declarations page naming the lender", "insurance"
                )
                outcome = "conditionally_approved"
        with self.step():
            underwriting.underwriting_decide(
                actor=self.underwriter, application=self.app, outcome=outcome, reasons=reasons, note=note
            )
        self.tell("decided")
        if self.s.target == "suspended":
            self.post("processor", "Asked the borrower for the letter and the returns by phone.", internal=True)

    def clear_to_close(self) -> None:
        if self.s.conditional and self.mortgage:
            self.on(self.day(7), 11)
            self.upload("insurance", self.borrower_user or self.processor)
            self.verify("insurance")  # clears the prior-to-docs condition tied to it
        # The CD (day 9) is received the day it is issued (in person, or e-mailed and acknowledged), so the closing
        # can be 3 specific business days later (Reg Z 1026.19(f)(1)(ii)), on a general business day.
        received = self.day(9)
        earliest = calendar.add_business_days(received, workflow.CD_WAITING_BUSINESS_DAYS, calendar.SPECIFIC)
        self.closing_date = calendar.next_business_day(earliest, calendar.GENERAL)
        self.on(self.day(8), 10)
        self.assign(closer=self.closer)
        self.move("clear_to_close", self.closer, "Conditions cleared; the compliance checks pass.")
        first_payment = disclosures.default_first_payment_date(self.closing_date, "monthly")
        with self.step():
            closing.closing_schedule(
                actor=self.closer,
                application=self.app,
                closing_date=self.closing_date,
                first_payment_date=first_payment,
            )

    def start_closing(self) -> None:
        self.on(self.day(9), 10)
        self.disclose(Disclosure.Kind.CLOSING_DISCLOSURE, self.closer, self.day(9), received_on=self.day(9))
        self.on(self.day(10), 9)
        with self.step():
            closing.closing_documents_generate(actor=self.closer, application=self.app)
        self.move("start_closing", self.closer)
        self.tell("closing")

    def close(self) -> None:
        self.on(self.closing_date, 14)
        with self.step():
            for condition in self.app.conditions.filter(status=Condition.Status.OPEN, stage="prior_to_funding"):
                underwriting.condition_clear(actor=self.underwriter, condition=condition, note="VVOE done today.")
        with self.step():
            closing.closing_signing_record(
                actor=self.closer,
                application=self.app,
                signed_on=self.closing_date,
                location="Prairie Title Company, Springfield",
                notary="Dana Whitfield, notary public",
            )
        self.move("close", self.closer, "Signed at the title company.")
        self.tell("closed")

    def fund(self) -> None:
        funded_on = self.closing_date
        if self.s.purpose in ("refinance", "cash_out"):  # after the right to rescind (Reg Z 1026.23)
            last = calendar.add_business_days(funded_on, workflow.RESCISSION_BUSINESS_DAYS, calendar.SPECIFIC)
            funded_on = calendar.next_business_day(last + timedelta(days=1))
        self.on(funded_on, 16)
        wire = f"FED{funded_on:%Y%m%d}{self.app.pk:05d}"
        with self.step():
            closing.loan_fund(actor=self.closer, application=self.app, funded_on=funded_on, wire_reference=wire)


# --- the seed -------------------------------------------------------------------------------------------


@contextmanager
def _quiet() -> Iterator[None]:
    """Demo borrowers get no email (dummy backend), and Celery's eager-task log lines stay out of the output."""
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        trace.setLevel(level)


def demo_seed(*, stdout) -> None:
    """Add what is missing of the origination demo: products, APOR rows and one application per scenario,
    each application in its own transaction (all of it or nothing). Prints one line per state."""
    started = clock.monotonic()
    emails = [d.email for d in core_demo.DEMO_USERS]
    if User.objects.filter(email__in=emails).count() < len(emails):
        core_demo.demo_seed()
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    products = {p.code: p for p in products_seed()}
    today = timezone.localdate()
    apor_added = apor_seed(today)
    existing = set(
        Borrower.objects.filter(is_primary=True, email__in=[p.email for p in PEOPLE.values()]).values_list(
            "email", "application__amount_requested"
        )
    )
    made: dict[str, list[Application]] = {}
    with _quiet():
        for scenario in SCENARIOS:
            amount = D(scenario.amount) if scenario.amount else None
            if (PEOPLE[scenario.person].email, amount) in existing:
                continue
            with transaction.atomic():
                application = _Story(scenario, users, today).run(products[scenario.product])
            made.setdefault(application.status, []).append(application)
    if not made:
        stdout.write("Origination demo data already there (nothing added).")
        return
    stdout.write(f"Origination demo: {len(products)} products, {apor_added} APOR rows added; applications by state:")
    for status, label in Status.choices:
        listed = ", ".join(f"{a.number} {a.borrowers.first()} ({a.product.name})" for a in made.get(status, ()))
        if listed:
            stdout.write(f"  {label + ':':<24}{listed}")
    count = sum(map(len, made.values()))
    stdout.write(f"Origination demo: {count} applications added in {clock.monotonic() - started:.1f} s.")
