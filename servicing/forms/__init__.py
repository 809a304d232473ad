"""Servicing forms, one module per sub-domain (the admin's own forms are in ``servicing.admin.forms``)."""
