from django.contrib import admin

from telcost.jobs.models import Job, Step


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("position", "name", "status", "attempts", "worker", "heartbeat_at", "error")
    readonly_fields = fields


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "customer",
        "status",
        "progress_done",
        "progress_total",
        "created_at",
    )
    list_filter = ("status", "kind")
    inlines = [StepInline]
