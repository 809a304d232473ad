from django.contrib import admin
from django.core.exceptions import PermissionDenied


class LendingAdminSite(admin.AdminSite):
    site_header = "Lending servicing admin"
    site_title = "Lending admin"
    index_title = "Servicer screens"

    def login(self, request, extra_context=None):
        # A signed-in borrower is refused outright rather than shown the staff login form again.
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("The servicing admin is for staff only.")
        return super().login(request, extra_context)
