"""Funded applications without a loan account (boarding failed when they were funded), and the action that
boards them again (``loans_board_funded``: idempotent, one application at a time). Servicers and managers only;
``manage.py board_loans`` does the same from the command line."""

from django.contrib import admin, messages

from lending.core import roles
from servicing.models import FundedApplication
from servicing.models.loans import not_boarded
from servicing.services.onboarding import loans_board_funded

BOARDING_ROLES = (roles.SERVICER, roles.MANAGER)


@admin.register(FundedApplication)
class FundedApplicationAdmin(admin.ModelAdmin):
    list_display = ("number", "product", "amount_requested", "closing_date", "funded_at")
    list_select_related = ("product",)
    search_fields = ("number",)
    show_full_result_count = False
    actions = ("board_selected",)
    # Newest first by id: the funded applications' partial index read backwards, a page's rows and no sort of them.
    ordering = ("-id",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(not_boarded(), status="funded")

    def _may_board(self, request) -> bool:
        return roles.has_role(request.user, *BOARDING_ROLES)

    def has_module_permission(self, request):
        return self._may_board(request)

    def has_view_permission(self, request, obj=None):
        return self._may_board(request)

    def has_board_permission(self, request) -> bool:
        return self._may_board(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Board selected (book their loan accounts)", permissions=("board",))
    def board_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for outcome in loans_board_funded(actor=request.user, application_ids=ids):
            if outcome.error:
                self.message_user(request, f"{outcome.number}: not boarded: {outcome.error}", messages.ERROR)
            elif outcome.boarded:
                self.message_user(request, f"{outcome.number}: boarded as {outcome.loan.loan_number}", messages.SUCCESS)
            else:
                self.message_user(request, f"{outcome.number}: already boarded as {outcome.loan.loan_number}")
