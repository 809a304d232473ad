"""The Metro 2 file on the reports index; the page itself is servicing.urls.metro2, open to the same roles."""

from lending.core import reports
from servicing.services.metro2 import METRO2_ROLES

reports.register_link(
    slug="metro2",
    title="Metro 2 credit reporting",
    description="The month's file for the credit bureaus, made in the background, checked field by field, kept.",
    roles=METRO2_ROLES,
    url_name="metro2:file",
    order=910,
)
