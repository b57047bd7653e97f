from django.db import migrations

# The usual functional departments of a county-level city; administrators
# add, rename or retire them in the admin.
DEPARTMENTS = [
    "住建局",
    "交通运输局",
    "水务局",
    "供电公司",
    "城管局",
    "民政局",
    "人社局",
    "医保局",
    "自然资源局",
    "农业农村局",
    "生态环境局",
    "市场监管局",
    "应急管理局",
    "消防救援大队",
    "公安局",
    "司法局",
    "妇联",
    "教育局",
    "卫健局",
]


def seed(apps, schema_editor):
    Department = apps.get_model("org", "Department")
    for name in DEPARTMENTS:
        Department.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("org", "0002_department")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
