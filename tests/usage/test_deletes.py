"""CDRs, totals and backup rows have no database-level foreign keys (speed: see the models), so
deleting
through the ORM must still leave nothing behind that points at what is gone."""

import pytest

from telcost.customers.models import Customer
from telcost.usage.billing.backups import totals_backup_create
from telcost.usage.billing.totals import totals_calculate
from telcost.usage.models import CDR, SubscriptionTotal, TotalsBackup, TotalsBackupRow, UsageTotal
from tests.factories import CustomerFactory, DeviceFactory, RatePlanFactory
from tests.usage.helpers import SEPT, add_cdr

pytestmark = pytest.mark.django_db


@pytest.fixture
def calculated():
    customer = CustomerFactory(kind=Customer.Kind.RATEPLAN, rate_plan=RatePlanFactory())
    kept, dropped = (DeviceFactory(customer=customer, activated_on=SEPT) for _ in range(2))
    for device in (kept, dropped):
        add_cdr(customer, device, duration_s=30)
        add_cdr(customer, device, record_type="sms")
    version = totals_calculate(customer=customer, cycle_start=SEPT)["version"]
    totals_backup_create(customer=customer, cycle_start=SEPT, version=version)
    return customer, kept, dropped


def test_deleting_a_device_removes_its_cdrs_and_totals(calculated):
    customer, kept, dropped = calculated
    assert UsageTotal.objects.filter(device=dropped).count() == 2
    assert SubscriptionTotal.objects.filter(device=dropped).count() == 1
    dropped.delete()
    assert not CDR.objects.filter(device_id=dropped.pk).exists()
    assert not UsageTotal.objects.filter(device_id=dropped.pk).exists()
    assert not SubscriptionTotal.objects.filter(device_id=dropped.pk).exists()
    assert (
        CDR.objects.filter(device=kept).count() == 2
        and UsageTotal.objects.filter(device=kept).count() == 2
    )


def test_deleting_a_customer_leaves_no_cdrs_totals_or_backup_rows(calculated):
    customer, _, _ = calculated
    backup = TotalsBackup.objects.get(customer=customer)
    assert (
        TotalsBackupRow.objects.filter(backup=backup).count() == 6
    )  # 4 usage rows, 2 monthly fees
    customer.devices.all().delete()  # a customer's devices protect it: they go first
    customer.delete()
    assert not CDR.objects.filter(customer_id=customer.pk).exists()
    assert not UsageTotal.objects.filter(customer_id=customer.pk).exists()
    assert not SubscriptionTotal.objects.filter(customer_id=customer.pk).exists()
    assert not TotalsBackupRow.objects.filter(backup_id=backup.pk).exists()
