"""Reads for the shell's pages: the overview's customers and recent jobs."""

from django.db.models import Q, QuerySet

from telcost.accounts.access import customers_for
from telcost.customers.models import Customer
from telcost.jobs.models import Job


def overview_customers(*, user) -> QuerySet[Customer]:
    return (
        customers_for(user).select_related("partner", "totals_calculated_by").order_by("name", "pk")
    )


def overview_partners(*, user) -> QuerySet[Customer]:
    """The partners the user may view: each has a partner overview."""
    return customers_for(user).filter(children__isnull=False).distinct().order_by("name", "pk")


def recent_jobs(*, user, limit: int = 10) -> list[Job]:
    """The latest top-level jobs the user may see: those of their customers, or started by them."""
    jobs = Job.objects.filter(parent__isnull=True).select_related("customer").order_by("-pk")
    if not user.is_staff:
        jobs = jobs.filter(Q(customer__in=customers_for(user)) | Q(created_by=user))
    return list(jobs[:limit])
