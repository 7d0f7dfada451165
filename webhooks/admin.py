"""Django admin for our registered hooks (secrets never shown) and received deliveries."""
from django.contrib import admin

from webhooks.models import Delivery, Hook


@admin.register(Hook)
class HookAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "bitbucket_uuid", "created_at")
    search_fields = ("bitbucket_uuid", "workspace__slug")
    exclude = ("secret",)
    readonly_fields = ("workspace", "bitbucket_uuid", "events", "created_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("request_uuid", "event_key", "status", "attempt", "received_at", "processed_at")
    list_filter = ("status", "event_key")
    search_fields = ("request_uuid",)
    readonly_fields = [f.name for f in Delivery._meta.fields]
