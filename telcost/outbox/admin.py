from django.contrib import admin

from telcost.outbox.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("key", "state", "tries", "created_at", "sent_at")
    list_filter = ("state",)
    search_fields = ("key",)
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]

    def has_add_permission(self, request):
        return False
