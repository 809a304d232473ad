from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from lending.core.models import AuditEvent, User
from lending.core.pagination import CappedPaginator
from lending.core.services import user_password_set_audit, user_privileges, user_privileges_audit

# The fields that grant power: only a superuser changes them, so a manager cannot raise anyone (or himself).
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    show_full_result_count = False
    paginator = CappedPaginator  # a borrower is a user: as many as the loans and applications
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            readonly += PRIVILEGE_FIELDS
        return readonly

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, never deleted: their audit rows, loans and applications hold them (PROTECT), and
        # Django's delete page would gather them all to say so (240 ms and 71 queries for a borrower).
        return False

    def has_change_permission(self, request, obj=None):
        # A superuser's account (email, active flag) is a superuser's to change: else a manager could take it over.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Read before the form's many-to-many values are saved (in save_related) to audit what changed.
        request._lending_privileges_before = user_privileges(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_lending_privileges_before", None)
        if before is not None:
            user_privileges_audit(actor=request.user, user=form.instance, before=before)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        if user is not None and user.pk != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied("Only a superuser sets another user's password.")
        response = super().user_change_password(request, id, form_url)
        # Django's view redirects only after it saved the new password.
        if request.method == "POST" and response.status_code == 302 and user is not None:
            user_password_set_audit(actor=request.user, user=user)
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only: nobody edits or deletes history."""

    list_display = ("created_at", "actor_label", "verb", "target_repr", "request_id")
    # No filter by verb: its choices are a DISTINCT over every audit row, on every visit of the list (the table of
    # every state change and money movement is the largest there is). The search finds a verb exactly instead.
    list_filter = ("created_at",)
    search_fields = ("verb", "request_id", "actor")  # shows the search box; what it searches is get_search_results'
    search_help_text = "A verb (payment.posted), a request id, or the email of the user who acted: exactly."
    list_select_related = ("actor", "target_type")

    def get_search_results(self, request, queryset, search_term):
        """Exact matches, each through an index (verb, request id, actor): Django's search ORs a LIKE '%...%' of
        each field, which reads every row."""
        term = search_term.strip()
        if not term:
            return queryset, False
        actors = User.objects.filter(email=term.lower()).values_list("pk", flat=True)[:1]
        return queryset.filter(Q(verb=term) | Q(request_id=term) | Q(actor_id__in=list(actors))), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
