"""Reads for the shell's pages: who sees the Admin menu, the overview's customers and recent jobs."""

from django.db.models import Q, QuerySet

from telcost.accounts.models import Membership
from telcost.customers.models import Customer
from telcost.customers.selectors import customers_visible_to
from telcost.jobs.models import Job


def admin_menu_visible(user) -> bool:
    """Staff, and managers of partners (they recalculate and manage addons for their customers)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, role="manager", customer__children__isnull=False).exists()


def overview_customers(*, user) -> QuerySet[Customer]:
    return customers_visible_to(user).select_related("partner", "totals_calculated_by").order_by("name", "pk")


def recent_jobs(*, user, limit: int = 10) -> list[Job]:
    """The latest top-level jobs the user may see: those of their customers, or started by them."""
    jobs = Job.objects.filter(parent__isnull=True).select_related("customer").order_by("-pk")
    if not user.is_staff:
        jobs = jobs.filter(Q(customer__in=customers_visible_to(user)) | Q(created_by=user))
    return list(jobs[:limit])
