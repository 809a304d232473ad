"""The CRM's reference data in the admin: lead sources (and the officer each one's leads go to) and partners."""

from django.contrib import admin

from crm.models import LeadSource, ReferralPartner
from crm.services.leads import active_loan_officers


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "assign_to", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assign_to":  # assignment by rule: only an active loan officer can take the leads
            kwargs["queryset"] = active_loan_officers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ReferralPartner)
class ReferralPartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "kind", "email", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "company", "email")
    raw_id_fields = ("contact",)


from crm import admin_nurture  # noqa: E402, F401  (market rates, campaign sends, past clients)
