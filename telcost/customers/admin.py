from django.contrib import admin

from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device, RatePlan


@admin.register(RatePlan)
class RatePlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "monthly_fee")


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
