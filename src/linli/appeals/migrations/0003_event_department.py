import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Answers recorded before the field existed name their department in `data`."""
    AppealEvent = apps.get_model("appeals", "AppealEvent")
    Department = apps.get_model("org", "Department")
    by_name = dict(Department.objects.values_list("name", "pk"))
    for event in AppealEvent.objects.filter(action="answer").only("pk", "data").iterator():
        pk = by_name.get((event.data or {}).get("department", ""))
        if pk is not None:
            AppealEvent.objects.filter(pk=event.pk).update(department_id=pk)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0002_seed_categories_policies"),
        ("org", "0004_member_phone_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="appealevent",
            name="department",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.department",
                verbose_name="department",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
