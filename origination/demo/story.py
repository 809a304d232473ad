"""Driving one demo scenario through the real services, as the demo users, each step on its business day."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lending.core import calendar
from lending.core.models import User
from lending.core.services import audit_record
from origination import workflow
from origination.demo.clock import _clock
from origination.demo.files import demo_pdf
from origination.demo.hmda import hmda_data_enter
from origination.demo.scenarios import CLOSER, OFFICER, PEOPLE, PROCESSOR, STAGE_OF, STAGES, UNDERWRITER, Scenario
from origination.models import (
    Application,
    Condition,
    Disclosure,
    Document,
    DocumentType,
    LoanProduct,
)
from origination.services import closing, communication, credit, disclosures, documents, intake, underwriting
from origination.services.workflow import TransitionBlocked, application_transition

D = Decimal


CD_DAY = 9  # the story's day on which the Closing Disclosure is issued and received


def cd_receipt_for(closing: date) -> date:
    """The last general business day on which a Closing Disclosure received still allows consummation on
    ``closing``, 3 specific business days later (Reg Z 1026.19(f)(1)(ii)), whatever weekday or holiday it is."""
    day = closing - timedelta(days=1)
    while not (
        calendar.is_business_day(day, calendar.GENERAL)
        and calendar.add_business_days(day, workflow.CD_WAITING_BUSINESS_DAYS, calendar.SPECIFIC) <= closing
    ):
        day -= timedelta(days=1)
    return day


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
        # Day numbers count in general business days from an anchor: the start, counted back from today; or,
        # for a file closing today, the day its Closing Disclosure is received (day CD_DAY).
        self.anchor = (cd_receipt_for(today), CD_DAY) if scenario.closes_today else (today, scenario.start)

    def day(self, offset: int) -> date:
        anchor, anchor_offset = self.anchor
        back = offset - anchor_offset
        return anchor if back == 0 else calendar.add_business_days(anchor, back, calendar.GENERAL)

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
        sections += [("demographics", lambda: hmda_data_enter(s, self.app, actor, self.officer))] if s.home else []
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
        # Disclosures follow the product: a consumer loan gets the Truth in Lending disclosure where a mortgage gets
        # its Closing Disclosure, and nothing in place of a Loan Estimate; a business loan gets none.
        kinds = disclosures.kinds_for(self.app)
        if kind == Disclosure.Kind.CLOSING_DISCLOSURE and Disclosure.Kind.TRUTH_IN_LENDING in kinds:
            kind = Disclosure.Kind.TRUTH_IN_LENDING
        if kind not in kinds:
            return
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
        received = self.day(CD_DAY)
        earliest = calendar.add_business_days(received, workflow.CD_WAITING_BUSINESS_DAYS, calendar.SPECIFIC)
        self.closing_date = self.today if self.s.closes_today else calendar.next_business_day(earliest)
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
        cd_day = self.day(CD_DAY)
        self.on(cd_day, 10)
        self.disclose(Disclosure.Kind.CLOSING_DISCLOSURE, self.closer, cd_day, received_on=cd_day)
        self.on(min(self.day(CD_DAY + 1), self.today), 9)
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
