"""Export jobs (the seed's ExportJob): what was asked, by whom, and where the file is."""

from django.conf import settings
from django.db import models


class CsvDialect(models.TextChoices):
    RFC4180 = "rfc4180"
    EXCEL_NL = "excel-nl"


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        CDRS = "cdrs"
        COST_CENTERS = "cost_centers"
        TOTALS = "totals"
        DEVICES = "devices"
        RECONCILIATION = "reconciliation"
        CHARGEBACK = "chargeback"

    class Format(models.TextChoices):
        XLSX = "xlsx"
        CSV = "csv"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        EXPIRED = "expired"

    class MailState(models.TextChoices):
        """The link's mail, recorded before and after each try so a retry knows what happened."""

        NOT_YET = ""
        SENDING = "sending"  # a try began; a retry finding this after a crash tries again
        SENT = "sent"  # the SMTP server took it: never again
        RETRYING = "retrying"  # a try failed; mail_next_at says when the next one is due
        FAILED = "failed"  # given up after TELCOST_EXPORT_MAIL_RETRY_HOURS

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="exports"
    )
    cycle_start_date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    format = models.CharField(max_length=8, choices=Format.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The file's headers and sheet names and the link's mail: the requester's language when asked
    # from a page, what the API request says (English by default, the API's documented names).
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default="en", db_default="en"
    )
    # How a csv file is written (exports.writers.CSV_DIALECTS): the API's default rfc4180, or
    # excel-nl (";", decimal comma, BOM) as Dutch pages offer. An xlsx keeps the default.
    csv_dialect = models.CharField(
        max_length=16, choices=CsvDialect.choices, default=CsvDialect.RFC4180, db_default="rfc4180"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=300, blank=True, default="")
    rows = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    mail_error = models.TextField(blank=True, default="")
    mailed_at = models.DateTimeField(null=True, blank=True)
    # Defaults in the database too: processes of the previous release, still running during a
    # deploy, insert exports without these columns.
    mail_state = models.CharField(
        max_length=16, choices=MailState.choices, blank=True, default="", db_default=""
    )
    mail_tries = models.PositiveIntegerField(default=0, db_default=0)
    # When the current try began: two senders that saw the same value cannot both claim the mail.
    mail_sending_at = models.DateTimeField(null=True, blank=True)
    mail_next_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "export_job"
        ordering = ["-id"]

    @property
    def download_name(self) -> str:
        return f"{self.kind}-{self.customer_id}-{self.cycle_start_date:%Y-%m-%d}.{self.format}"
