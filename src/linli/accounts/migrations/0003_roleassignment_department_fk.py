"""RoleAssignment.department: free text matched against Department.name becomes a
foreign key. Names of department handlers are carried over (a name with no
department row gets one, so no handler loses their queue)."""

import django.db.models.deletion
from django.db import migrations, models


def names_to_rows(apps, schema_editor):
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    Department = apps.get_model("org", "Department")
    for ra in RoleAssignment.objects.filter(role="department").exclude(department_name=""):
        ra.department, _ = Department.objects.get_or_create(name=ra.department_name.strip())
        ra.save(update_fields=["department"])


def rows_to_names(apps, schema_editor):
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    for ra in RoleAssignment.objects.filter(department__isnull=False).select_related("department"):
        ra.department_name = ra.department.name
        ra.save(update_fields=["department_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("org", "0004_member_phone_index"),
    ]

    operations = [
        migrations.RenameField("roleassignment", "department", "department_name"),
        migrations.AddField(
            model_name="roleassignment",
            name="department",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="role_assignments",
                to="org.department",
                verbose_name="department",
            ),
        ),
        migrations.RunPython(names_to_rows, rows_to_names),
        migrations.RemoveField("roleassignment", "department_name"),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(("role", "department"), ("department__isnull", True), _connector="OR"),
                name="role_department_only_for_handlers",
            ),
        ),
    ]
