from collections.abc import Callable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, Transition

from lending.core.fields import EncryptedTextField
from origination.models.choices import Occupancy, PropertyType, Purpose
from origination.models.products import MONEY, LoanProduct
from origination.workflow import ApplicationWorkflow


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    PROCESSING = "processing", "Processing"
    UNDERWRITING = "underwriting", "Underwriting"
    APPROVED = "approved", "Approved"
    CONDITIONALLY_APPROVED = "conditionally_approved", "Conditionally approved"
    SUSPENDED = "suspended", "Suspended"
    DENIED = "denied", "Denied"
    CLEAR_TO_CLOSE = "clear_to_close", "Clear to close"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"
    FUNDED = "funded", "Funded"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Application(ApplicationWorkflow, ConcurrentTransitionMixin, models.Model):
    """A loan application. Its status moves only through origination.workflow (django-fsm, protected field)."""

    # Not a column: django-fsm adds the method.
    get_all_status_transitions: Callable[[], Iterator[Transition]]

    number = models.CharField(max_length=20, unique=True)
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="applications")
    status = FSMField(max_length=32, choices=Status.choices, default=Status.DRAFT, protected=True, db_index=True)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="The borrower's portal account.",
    )
    loan_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    processor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    underwriter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    amount_requested = models.DecimalField(**MONEY, null=True, blank=True)
    # TRID: the six items (name, income, SSN, property address, estimated value, loan amount) make an application;
    # the date they are all first present starts the Loan Estimate clock (Reg Z 1026.2(a)(3)(ii)).
    application_date = models.DateField(null=True, blank=True)
    econsent_at = models.DateTimeField(null=True, blank=True)
    declarations = models.JSONField(default=dict, blank=True)
    intake_step = models.CharField(max_length=32, blank=True, help_text="Where the applicant left the form.")

    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closing_date = models.DateField(null=True, blank=True, help_text="Scheduled consummation.")
    first_payment_date = models.DateField(null=True, blank=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the application entered its current status."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="application_pipeline_idx"),
            models.Index(fields=["-created_at", "-id"], name="application_newest_idx"),
            # The pipeline report: the applications taken in a period, newest first.
            models.Index(fields=["application_date", "id"], name="application_taken_idx"),
            # Funded applications not boarded (servicing.models.loans.not_boarded): probed one by one against the
            # loans' application index, not a hash of every loan account (2.7 ms against 44 ms at 100,000 loans).
            models.Index(fields=["id"], condition=Q(status="funded"), name="application_funded_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__isnull=True) | Q(amount_requested__gt=0),
                name="application_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_badge(self) -> str:
        """The Bootstrap colour of this status's badge."""
        return STATUS_BADGES.get(self.status, "primary")


STATUS_BADGES = {"denied": "secondary", "withdrawn": "secondary", "funded": "success", "suspended": "warning"}


class Borrower(models.Model):
    """A person on the application (the primary borrower and any co-borrowers)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="borrowers")
    is_primary = models.BooleanField(default=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    ssn = EncryptedTextField(blank=True, help_text="Encrypted at rest; shown masked except to roles that need it.")
    ssn_last4 = models.CharField(max_length=4, blank=True)
    marital_status = models.CharField(max_length=16, blank=True)
    dependents = models.PositiveIntegerField(default=0)
    address_line1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    years_at_address = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    monthly_housing_expense = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(is_primary=True), name="one_primary_borrower_per_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""


class Employment(models.Model):
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="employments")
    employer_name = models.CharField(max_length=200)
    position = models.CharField(max_length=120, blank=True)
    start_date = models.DateField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    is_self_employed = models.BooleanField(default=False)
    monthly_base_income = models.DecimalField(**MONEY, default=Decimal("0"))
    monthly_other_income = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_base_income__gte=0, monthly_other_income__gte=0),
                name="employment_income_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.employer_name


class Asset(models.Model):
    class Kind(models.TextChoices):
        CHECKING = "checking", "Checking account"
        SAVINGS = "savings", "Savings account"
        RETIREMENT = "retirement", "Retirement account"
        INVESTMENT = "investment", "Stocks and bonds"
        GIFT = "gift", "Gift"
        OTHER = "other", "Other"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    institution = models.CharField(max_length=200, blank=True)
    balance = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="asset_balance_non_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.balance}"


class Liability(models.Model):
    class Kind(models.TextChoices):
        MORTGAGE = "mortgage", "Mortgage"
        AUTO = "auto", "Auto loan"
        STUDENT = "student", "Student loan"
        REVOLVING = "revolving", "Credit card / revolving"
        INSTALLMENT = "installment", "Other installment"
        OTHER = "other", "Other"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="liabilities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    creditor = models.CharField(max_length=200, blank=True)
    monthly_payment = models.DecimalField(**MONEY)
    balance = models.DecimalField(**MONEY, default=Decimal("0"))
    paid_off_at_closing = models.BooleanField(default=False, help_text="Excluded from the back-end DTI.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_payment__gte=0, balance__gte=0), name="liability_amounts_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.monthly_payment}/mo"


class Property(models.Model):
    """The subject property of a mortgage application."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="subject_property")
    address_line1 = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    property_type = models.CharField(max_length=16, choices=PropertyType.choices, default=PropertyType.SINGLE_FAMILY)
    occupancy = models.CharField(max_length=16, choices=Occupancy.choices, default=Occupancy.PRIMARY)
    estimated_value = models.DecimalField(**MONEY)
    purchase_price = models.DecimalField(**MONEY, null=True, blank=True)
    appraised_value = models.DecimalField(**MONEY, null=True, blank=True)
    subordinate_liens = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Other liens kept (CLTV).")
    annual_property_tax = models.DecimalField(**MONEY, default=Decimal("0"))
    annual_insurance = models.DecimalField(**MONEY, default=Decimal("0"))
    monthly_hoa = models.DecimalField(**MONEY, default=Decimal("0"))
    # HMDA (1003.4(a)(9)(ii)): 2-digit state + 3-digit county + 6-digit tract FIPS codes, entered by staff.
    census_tract = models.CharField(
        max_length=11, blank=True, help_text="11-digit census tract: state (2), county (3) and tract (6) FIPS codes."
    )

    class Meta:
        verbose_name_plural = "properties"
        constraints = [models.CheckConstraint(condition=Q(estimated_value__gt=0), name="property_value_positive")]

    def __str__(self) -> str:
        return f"{self.address_line1}, {self.city} {self.state}"


class TransitionLog(models.Model):
    """Every workflow step: who moved the application, from where to where, when, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    transition = models.CharField(max_length=40)
    from_status = models.CharField(max_length=32, choices=Status.choices)
    to_status = models.CharField(max_length=32, choices=Status.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    entered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the application entered from_status: the stay this step ended began."
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The pipeline report's fallout: only the steps out to denied or withdrawn, a small share of them all.
            models.Index(
                fields=["application", "from_status", "to_status"],
                condition=Q(to_status__in=[Status.DENIED, Status.WITHDRAWN]),
                name="transition_fell_out_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.from_status} -> {self.to_status}"


class ApplicationStay(models.Model):
    """A stay in a state that ended, written with the workflow step that ended it (``stay_record``): the state and
    its length. The pipeline report's time in each state reads these narrow rows, not the log's wide ones (a
    third of the CPU less for the median over a quarter's stays, measured on 256,250 steps)."""

    step = models.OneToOneField(TransitionLog, on_delete=models.CASCADE, primary_key=True, related_name="stay")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=32, choices=Status.choices)
    length_us = models.BigIntegerField(help_text="From entering the state to the step out of it, in microseconds.")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.state} for {self.length_us} us"
