"""CRM writes, one module per concern: contacts (dedupe), leads (stages, assignment), the public form, the CSV
import, activities and tasks, conversion into an application, and live status updates. Callers import the
module they need (``from crm.services import leads``)."""
