from django.contrib import admin

from telcost.alerts.models import Alert, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    """Staff's view of every customer's rules; a save here is audited like one of the API's."""

    list_display = ("name", "customer", "metric", "scope", "target", "threshold", "active")
    list_filter = ("metric", "scope", "active")
    search_fields = ("name", "customer__name", "target")
    readonly_fields = ("created_by", "created_at", "updated_at", "deleted_at")

    def has_delete_permission(self, request, obj=None):
        # A delete would take the rule's fired alerts with it: the alerts page deletes a rule
        # and keeps them.
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Fired alerts are history: read only."""

    list_display = ("rule", "customer", "cycle_start", "target", "value", "threshold", "fired_at")
    list_filter = ("cycle_start",)
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
