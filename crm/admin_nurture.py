"""Admin screens of campaigns and past clients: the market rate table (managers edit it), campaign sends (with a
"record a bounce" action) and past clients. Registered from crm.admin."""

from django.contrib import admin, messages
from django.utils import timezone

from crm.models import CampaignSend, MarketRate, PastClient
from crm.services.campaign_sending import campaign_bounce_record
from lending.core.pagination import CappedPaginator


@admin.register(MarketRate)
class MarketRateAdmin(admin.ModelAdmin):
    list_display = ("product_kind", "term_periods", "annual_rate", "effective_date")
    list_filter = ("product_kind", "term_periods")
    date_hierarchy = "effective_date"
    ordering = ("product_kind", "term_periods", "-effective_date")


@admin.register(CampaignSend)
class CampaignSendAdmin(admin.ModelAdmin):
    list_display = ("to_email", "step", "status", "sent_at", "bounced_at")
    list_filter = ("status", "campaign")
    search_fields = ("to_email",)
    list_select_related = ("step__campaign",)
    actions = ("record_bounce",)
    show_full_result_count = False
    paginator = CappedPaginator  # a campaign to 50,000 contacts is 50,000 rows: counted no further than shown
    readonly_fields = [f.name for f in CampaignSend._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Record a bounce (stops the contact's campaigns)")
    def record_bounce(self, request, queryset):
        now = timezone.now()
        done = 0
        for email in queryset.filter(status=CampaignSend.Status.SENT).values_list("to_email", flat=True).distinct():
            done += (
                campaign_bounce_record(actor=request.user, email=email, reason="Recorded in the admin", now=now)
                is not None
            )
        self.message_user(request, f"{done} bounce(s) recorded.", messages.SUCCESS)


@admin.register(PastClient)
class PastClientAdmin(admin.ModelAdmin):
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = ("contact", "application", "loan", "officer", "product_kind", "funded_on", "paid_off_on")
    list_filter = ("product_kind",)
    list_select_related = ("contact", "application", "loan", "officer")
    raw_id_fields = ("contact", "application", "loan", "officer")
    search_fields = ("contact__last_name", "contact__email_normalized")
