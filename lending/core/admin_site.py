from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied


class BoundedChangeList(ChangeList):
    """A changelist whose date drill-down refuses a year out of range (?created_at__year=99999999999 or 9999).

    Django's own date hierarchy turns those into OverflowError/ValueError outside its guard, a 500; here they are
    bad lookup parameters, which the changelist answers as it does any other (back to the list with ?e=1).
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class BoundedChangeListMixin:
    def get_changelist(self, request, **kwargs):
        return BoundedChangeList


class LendingAdminSite(admin.AdminSite):
    site_header = "Lending servicing admin"
    site_title = "Lending admin"
    index_title = "Servicer screens"

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every changelist, ours and third parties' (axes), gets the bounded date drill-down.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, BoundedChangeListMixin):
            admin_class = type(admin_class.__name__, (BoundedChangeListMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        # A signed-in borrower is refused outright rather than shown the staff login form again.
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("The servicing admin is for staff only.")
        return super().login(request, extra_context)
