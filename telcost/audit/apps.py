from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "telcost.audit"
    label = "audit"

    def ready(self) -> None:
        from telcost.audit.services import audit_receivers_connect

        audit_receivers_connect()
