"""Django admin for our registered hooks (secrets never shown), received deliveries and the hooks
still to take off Bitbucket after a disconnect, read-only: all are Bitbucket's doing, and a hook
goes with its workspace or repository, never on its own."""
import json

from django.contrib import admin, messages
from django.utils.html import format_html

from webhooks.models import Delivery, Hook, HookRemoval
from webhooks.processing import deliveries_process_again


class ReadOnly:
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Hook)
class HookAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "workspace", "repository", "owner", "bitbucket_uuid", "created_at")
    list_select_related = ("workspace__connection__user", "repository")
    search_fields = ("bitbucket_uuid", "workspace__slug", "repository__full_name")
    exclude = ("secret",)
    readonly_fields = ("workspace", "repository", "owner", "bitbucket_uuid", "events", "created_at")

    @admin.display(description="Owner", ordering="workspace__connection__user__email")
    def owner(self, hook: Hook) -> str:
        return hook.workspace.connection.user.email


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("request_uuid", "event_key", "status", "tries", "outcome_or_error", "received_at", "processed_at")
    list_filter = ("status", "event_key")
    search_fields = ("request_uuid",)
    # The payload is shown indented in a box that wraps long values and scrolls, never past the page's edge.
    readonly_fields = [f.name if f.name != "payload" else "payload_box" for f in Delivery._meta.fields]
    actions = ("process_again",)

    @admin.display(description="outcome / last error")
    def outcome_or_error(self, delivery: Delivery) -> str:
        text = delivery.error or delivery.outcome
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.display(description="payload")
    def payload_box(self, delivery: Delivery) -> str:
        return format_html(
            '<pre class="delivery-payload" style="white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%; '
            'max-height: 40em; overflow: auto; margin: 0;">{}</pre>',
            json.dumps(delivery.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Process failed deliveries again")
    def process_again(self, request, queryset):
        count = deliveries_process_again(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.", messages.SUCCESS)


@admin.register(HookRemoval)
class HookRemovalAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("label", "owner", "bitbucket_uuid", "status", "attempts", "next_try_at", "short_error", "created_at")
    list_filter = ("status",)
    search_fields = ("label", "owner", "bitbucket_uuid")
    exclude = ("access_token", "refresh_token")
    readonly_fields = ("label", "owner", "workspace_uuid", "repository_uuid", "bitbucket_uuid", "hook_id", "status",
                       "attempts", "next_try_at", "last_error", "created_at", "updated_at")

    @admin.display(description="last error")
    def short_error(self, removal: HookRemoval) -> str:
        text = removal.last_error
        return text if len(text) <= 120 else text[:119] + "…"
