from django.contrib import admin

from telcost.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: entries are never changed or deleted, here neither."""

    list_display = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_name",
        "customer_id",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor", "object_name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
