import datetime as dt

from django.db import migrations


def versions_for_every_plan(apps, schema_editor):
    """A plan made after 0002 without a version keeps its document as its version from 2000-01
    before the plan-level copy goes: nothing a plan holds is lost."""
    RatePlan = apps.get_model("customers", "RatePlan")
    RatePlanVersion = apps.get_model("customers", "RatePlanVersion")
    RatePlanVersion.objects.bulk_create(
        RatePlanVersion(
            rate_plan=plan,
            valid_from=dt.date(2000, 1, 1),
            definition=plan.definition,
            monthly_fee=plan.monthly_fee,
        )
        for plan in RatePlan.objects.filter(versions__isnull=True)
    )


class Migration(migrations.Migration):
    """Versions are the one source of truth of a plan's rates and fee (SPEC part 2): the plan's
    own copies go, so rating and totals cannot read two different documents."""

    dependencies = [
        ("customers", "0003_cost_center_assignment_unassigned"),
    ]

    operations = [
        migrations.RunPython(versions_for_every_plan, migrations.RunPython.noop),
        migrations.RemoveField(model_name="rateplan", name="definition"),
        migrations.RemoveField(model_name="rateplan", name="monthly_fee"),
    ]
