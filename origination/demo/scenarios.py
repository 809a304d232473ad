"""Who the demo borrowers are and what each demo application is: the people, their homes, and the
workflow state each scenario is driven to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from origination.models import (
    Status,
)

D = Decimal
OFFICER, PROCESSOR, UNDERWRITER, CLOSER = (
    "officer@lending.test",
    "processor@lending.test",
    "underwriter@lending.test",
    "closer@lending.test",
)
ALICE, BOB = "alice@example.com", "bob@example.com"  # the demo borrowers (lending.core.demo)


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
    start: int  # the business day it starts, counted back from today (unused when it closes today)
    online: bool = False  # the borrower applies in the portal; else the loan officer enters it
    assets: tuple[tuple[str, str, str], ...] = (("checking", "First Springfield Bank", "30000"),)
    liabilities: tuple[tuple, ...] = ()  # (kind, creditor, monthly payment, balance[, paid off at closing])
    home: Home | None = None
    conditional: bool = False  # approved with conditions on the way to closing
    # Closing scheduled for today, the seed day, whatever its weekday: its dates are counted back from the
    # Closing Disclosure that allows consummation today, so the closer can close (and fund a purchase) today.
    closes_today: bool = False
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
    "kevin": Person("Kevin", "Nguyen", "349-62-0297", "Springfield Clinic", "Pharmacist", "12900", "31 Elm Street"),
    "james": Person("James", "Wright", "264-90-0284", "Illinois Revenue Dept.", "Auditor", "9900", "114 Hickory Road"),
    "sam": Person("Sam", "Ortiz", "190-77-0333", "Ortiz Plumbing Inc.", "President", "18500", "700 Industrial Pkwy"),
}  # fmt: skip
# Each mortgage borrower's answers to the demographic questions (FFIEC codes: ethnicity, race, sex); None declines.
DEMOGRAPHICS: dict[str, tuple[list[str] | None, list[str] | None, list[str] | None]] = {
    ALICE: (["2"], ["5"], ["2"]), BOB: (["2"], ["3"], ["1"]), "owen": (None, None, None),
    "david": (["2"], ["2", "22"], ["1"]), "frank": (["2"], ["5"], ["1"]), "grace": (["2"], ["2", "25"], ["2"]),
    "henry": (["2"], ["2", "21"], ["1"]), "isabel": (["1", "12"], ["5"], ["2"]), "kevin": (["2"], ["2", "26"], ["1"]),
    "james": (["2"], ["1"], ["1"]),
}  # fmt: skip
# Census tracts of the demo homes (Sangamon County, IL: state 17, county 167), by street; illustrative tract numbers.
CENSUS_TRACTS = {
    "1420 Lakeview Drive": "17167003700", "88 Maple Court": "17167001900", "51 Walnut Street": "17167000800",
    "7 Orchard Lane": "17167003300", "19 Sunset Ridge": "17167002400", "902 Willow Bend": "17167002100",
    "3 Meadow Court": "17167003500", "1200 Highland Avenue": "17167001800", "260 Brookside Lane": "17167002500",
    "48 Fox Run": "17167000100", "5 Prairie View Drive": "17167003800", "114 Hickory Road": "17167001200",
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
    Scenario("closing", M30, "purchase", "276000", "isabel", start=0, closes_today=True,
             assets=(("checking", "Illini Bank", "33000"), ("savings", "Illini Bank", "66000")),
             home=Home("48 Fox Run", "Sherman", "62684", "345000", "345000"),
             story=(("closing", "closer", "Closing is booked at Lincoln Title today; please bring a photo ID."),)),
    Scenario("closed", M30, "purchase", "264000", "kevin", start=0, closes_today=True,
             assets=(("checking", "Illini Bank", "36000"), ("savings", "First Springfield Bank", "71000")),
             home=Home("5 Prairie View Drive", "Springfield", "62712", "330000", "330000"),
             story=(("closed", "closer", "Signed today at Lincoln Title; we fund as soon as the wire is released."),)),
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
