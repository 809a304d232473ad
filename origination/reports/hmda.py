"""The HMDA Loan/Application Register on the reports index; the page itself is origination.urls.hmda, open to the
same roles (managers: the register holds applicants' demographic data)."""

from lending.core import reports
from origination.views.hmda import HMDA_ROLES

reports.register_link(
    slug="hmda",
    title="HMDA Loan/Application Register",
    description="A calendar year's LAR file for the FFIEC, with its edits checked before download.",
    roles=HMDA_ROLES,
    url_name="hmda:lar",
    order=900,
)
