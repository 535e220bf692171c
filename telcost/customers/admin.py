from django.contrib import admin

from telcost.customers.models import (
    CostCenter,
    CostCenterAssignment,
    Customer,
    Device,
    RatePlan,
    RatePlanVersion,
)


class RatePlanVersionInline(admin.TabularInline):
    """Versions are read here; they are added through the rate plan editor (/admin/rate-plans/)
    or the API, which validate the document (rate_plan_version_add)."""

    model = RatePlanVersion
    fields = ("valid_from", "monthly_fee", "definition", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RatePlan)
class RatePlanAdmin(admin.ModelAdmin):
    """A plan without a version rates nothing: plans are created through the API or the editor
    (rate_plan_create makes the first version); here they are renamed or read."""

    list_display = ("code", "name")
    readonly_fields = ("code",)
    inlines = [RatePlanVersionInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "partner",
        "rate_plan",
        "calculate_totals",
        "totals_calculated_at",
    )
    list_filter = ("kind",)
    search_fields = ("name", "external_ref")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("msisdn", "customer", "label", "activated_on", "deactivated_on")
    search_fields = ("msisdn", "iccid", "label")
    list_select_related = ("customer",)


@admin.register(CostCenter)
class CostCenterAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "customer")


@admin.register(CostCenterAssignment)
class CostCenterAssignmentAdmin(admin.ModelAdmin):
    list_display = ("device", "cost_center", "valid_from")
    raw_id_fields = ("device",)
