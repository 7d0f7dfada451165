"""Django admin for our registered hooks (secrets never shown) and received deliveries, read-only:
both are Bitbucket's doing, and a hook goes with its workspace or repository, never on its own."""
from django.contrib import admin, messages
from django_q.tasks import async_task

from webhooks.models import Delivery, Hook


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
    list_display = ("request_uuid", "event_key", "status", "attempt", "received_at", "processed_at")
    list_filter = ("status", "event_key")
    search_fields = ("request_uuid",)
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ("process_again",)

    @admin.action(description="Process failed deliveries again")
    def process_again(self, request, queryset):
        ids = list(queryset.filter(status=Delivery.Status.FAILED).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.RECEIVED, error="")
        for pk in ids:
            async_task("webhooks.tasks.process_delivery", pk, task_name=f"delivery-{pk}")
        self.message_user(request, f"{len(ids)} deliver{'y' if len(ids) == 1 else 'ies'} queued again.", messages.SUCCESS)
